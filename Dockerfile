# The data plane: the container entry point (lambda/local/container.ts) bundled with esbuild as
# the Lambda functions are, on Node.js 22 for ARM64.

# The bundle is plain JavaScript: build it on the builder's own platform, without emulation.
FROM --platform=$BUILDPLATFORM node:22 AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY lambda ./lambda
COPY lib/bundling.ts lib/container-bundle.ts ./lib/
RUN npx tsx lib/container-bundle.ts /bundle

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /bundle/ ./
USER node
EXPOSE 8080
CMD ["node", "--enable-source-maps", "container.js"]
