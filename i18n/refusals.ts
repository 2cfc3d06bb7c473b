// A refusal as it travels from a workflow's Update validator to the web app: the catalogue code
// and its parameters in the ApplicationFailure's details, checked again on arrival.
import { z } from 'zod';
import { isMessageCode, message, type Locale } from './messages';

export const refusalDetail = z.object({
  code: z.string().refine(isMessageCode, 'not a code of i18n/messages.ts'),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type RefusalDetail = z.infer<typeof refusalDetail>;

/** A refusal received from a workflow, in `locale`; undefined when it carries no code of ours. */
export function refusalMessage(detail: unknown, locale: Locale = 'zh-CN'): string | undefined {
  const r = refusalDetail.safeParse(detail);
  if (!r.success || !isMessageCode(r.data.code)) return undefined;
  try {
    return message(r.data.code, r.data.params as never, locale);
  } catch {
    return undefined;
  }
}
