# syntax=docker/dockerfile:1
# Node 26, the Active LTS line (LTS since 2026-10-28, end of life 2029-04-30) on Debian 13 (trixie),
# the default and longest-supported base of the node:26 images. One argument for both stages: the
# better-sqlite3 addon compiled in the first must run on the exact Node ABI of the second.
ARG NODE_IMAGE=node:26-trixie-slim

# Build stage: compile TypeScript and the better-sqlite3 native addon.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies only, non-root, data on a volume.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The web view (/ui/): static files the service reads at start-up.
COPY ui ./ui
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node as PID 1 handles SIGTERM itself (close-with-grace): stop accepting, finish commits, close the db.
CMD ["node", "dist/main.js"]
