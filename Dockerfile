# Builds both services; docker-compose.yml picks the entry point.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source where no prebuilt binary is reachable.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# npm workspaces: npm ci needs every workspace's package.json before the sources.
COPY package.json package-lock.json ./
COPY libs/event-bus/package.json libs/event-bus/
COPY libs/contracts/package.json libs/contracts/
COPY libs/service-config/package.json libs/service-config/
COPY apps/user-service/package.json apps/user-service/
COPY apps/order-service/package.json apps/order-service/
COPY apps/cli/package.json apps/cli/
COPY apps/demo/package.json apps/demo/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json nest-cli.json ./
COPY libs libs
COPY apps apps
RUN npm run build --workspaces && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# node_modules/@nestbus/* are links into libs/ and apps/: the packages come with their dist/.
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/libs libs
COPY --from=build /app/apps apps
COPY package.json ./
USER node
