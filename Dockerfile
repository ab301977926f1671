# syntax=docker/dockerfile:1
#
# ZitAuth container image: a Bun stage compiles the single executable, a distroless stage runs it.
#
# Base images are build args so air-gapped builds (and our tests) can substitute local images.
# Runtime choice: gcr.io/distroless/cc-debian12 — glibc + libgcc/libstdc++, CA certificates,
# tzdata and a `nonroot` user (65532), and nothing else: no shell, no package manager. The Bun
# executable links only against glibc (libc, libm, libdl, libpthread, ld-linux), so "cc" is the
# smallest distroless flavour that runs it (the "static" flavour lacks glibc). debian:bookworm-slim
# would also work but ships a shell and apt, i.e. more attack surface for no benefit.
ARG BUN_IMAGE=oven/bun:1.4
ARG RUNTIME_IMAGE=gcr.io/distroless/cc-debian12

FROM ${BUN_IMAGE} AS build
WORKDIR /src
# Dependencies first, so source edits do not invalidate the install layer. The lockfile is
# authoritative (--frozen-lockfile fails instead of silently resolving new versions). Offline
# builds work when bun's cache (BUN_INSTALL_CACHE_DIR) is pre-seeded in the builder image.
COPY package.json bun.lock bunfig.toml ./
RUN ["bun", "install", "--frozen-lockfile"]
COPY . .
# `bun run build` = bun build --compile … --outfile dist/zitauth (one self-contained executable).
RUN ["bun", "run", "build"]

FROM ${RUNTIME_IMAGE}
COPY --from=build /src/dist/zitauth /usr/local/bin/zitauth
# Numeric ids: valid whether or not the base image has an /etc/passwd entry for them.
USER 65532:65532
# distroless' nonroot home (owned by 65532) doubles as the state directory: `zitauth provision`
# writes .env and the key files to the working directory, and a named volume mounted here starts
# out owned by the user that must write to it.
WORKDIR /home/nonroot
ENV PORT=8000 \
    ZITAUTH_HOST=0.0.0.0
EXPOSE 8000
# The binary probes its own /healthz (no curl in distroless).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/zitauth", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/zitauth"]
CMD ["serve"]
