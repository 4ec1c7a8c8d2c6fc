# syntax=docker/dockerfile:1
# Mon espace santé: the production image.
# Two stages, and the same commands as the CI production test (tests/integration/production.test.ts):
#   build: npm ci, npm run build, node scripts/pack.js /release   (with the development tools)
#   run:   npm ci --omit=dev --ignore-scripts=false, then node dist/…  (without them, as user `node`)
# The image runs the site by default; the same image runs the worker and the migrations:
#   docker run … node dist/src/cli/migrate.js      (before the new version's web processes start)
#   docker run … node dist/src/worker.js
# See docs/deployment.md and compose.yaml.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && node scripts/pack.js /release

FROM node:${NODE_VERSION}-bookworm-slim AS run
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=build /release/package.json /release/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false --no-audit --no-fund && npm cache clean --force
COPY --from=build /release ./
# Files belong to root and are read-only for the process: it writes nothing to disk
# (documents go to the object store, sessions to Redis, everything else to PostgreSQL).
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node runs as PID 1 (exec form) and handles SIGTERM itself: it stops accepting, finishes the requests
# under way, stops the jobs and closes its pools (20 s at most). `init: true` in compose adds a reaper.
STOPSIGNAL SIGTERM
CMD ["node", "--max-semi-space-size=32", "dist/src/server.js"]
