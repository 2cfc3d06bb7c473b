# The Lantian worker/CLI image for docker-compose.yml. Temporal itself runs as its own service,
# so the pinned dev-server binaries are not installed here.
FROM node:20-bookworm-slim
WORKDIR /app
# Letters' PDFs embed Noto Serif CJK SC (notices/pdf.ts, docs/notices.md).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk && rm -rf /var/lib/apt/lists/*
ENV LANTIAN_SKIP_TEMPORAL_INSTALL=1 LANTIAN_EMBEDDED_TEMPORAL=false
COPY package.json package-lock.json ./
COPY scripts ./scripts
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
# The workflow bundle is built into the image: a restarted worker polls again in seconds.
RUN npx tsx worker/bundle.ts
CMD ["npm", "run", "worker"]
