# imex: worker + API. With TEMPORAL_ADDRESS and MONGO_URL set it starts no servers of its own.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY src ./src
COPY workflows ./workflows
COPY activities ./activities
COPY tsconfig.json ./
EXPOSE 3000
# Signals reach node directly (no npm wrapper), so shutdown is graceful.
CMD ["node", "--import", "tsx", "src/main.ts"]
