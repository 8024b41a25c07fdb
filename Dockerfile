# Production image: the `loupe` binary and its site assets on a slim Debian. It expects an
# external Postgres (DATABASE_URL), as in docker-compose.yml; the embedded Postgres is for
# installs from source.

FROM rust:1-bookworm AS build
RUN rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY . .
ENV CARGO_TARGET_DIR=/src/target
RUN ./scripts/build --release

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/loupe --create-home loupe
COPY --from=build /src/target/release/loupe /app/loupe
COPY --from=build /src/target/site /app/site
USER loupe
ENV LOUPE_ADDR=0.0.0.0:3000 \
    LOUPE_DATA_DIR=/var/lib/loupe \
    LOUPE_SITE_ROOT=/app/site
VOLUME ["/var/lib/loupe"]
EXPOSE 3000
ENTRYPOINT ["/app/loupe"]
