// Bundles the workflow code once per test run; every test file's workers load this bundle.
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflows } from '../../worker/create';

export const bundleFile = path.join(__dirname, '..', '..', '.data', 'test', 'workflow-bundle.js');

export default async function globalSetup(): Promise<void> {
  const { code } = await bundleWorkflows();
  fs.mkdirSync(path.dirname(bundleFile), { recursive: true });
  fs.writeFileSync(bundleFile, code);
}
