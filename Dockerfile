# The journeys CLI (processor, sink, validate, simulate) as an image, for docker-compose.yml and deployments.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --ignore-scripts && npx patch-package
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY schemas ./schemas
COPY topologies ./topologies
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev
ENV JOURNEYS_LOG_LEVEL=info
ENTRYPOINT ["node", "bin/journeys.js"]
