# syntax=docker/dockerfile:1
# faultline sidecar image: Debian 12, built with the same commands as the README's quick
# start (scripts/install-deps.sh + CMake), run as a non-root user.
#   docker build -t faultline:0.1.0 .
# See k8s/README.md for loading it into kind or minikube. CI does not build it (no container
# engine, no registry for the base image); scripts/check-dockerfile.sh checks it statically.

# ---- build stage -------------------------------------------------------------------------
FROM debian:12-slim AS build
WORKDIR /src
COPY . .
RUN scripts/install-deps.sh build \
 && cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFAULTLINE_TESTS=OFF \
 && cmake --build build --target faultline \
 && strip build/proxy/faultline
# The runtime stage installs exactly the Debian packages that own the shared libraries the
# binary links (e.g. libuv1, libspdlog1.10, libfmt9, libtomlplusplus3) or names to load on
# demand (libssl3: proxy/tls/openssl_library.cc), so a new dependency cannot be forgotten here.
RUN : > /tmp/linked-packages.txt \
 && on_demand=$(grep -aoE 'lib[a-z0-9_]+[.]so[.][0-9]+' build/proxy/faultline | sort -u \
      | while read -r so; do ldconfig -p | awk -v so="$so" '$1 == so {print $NF; exit}'; done) \
 && for lib in $(ldd build/proxy/faultline | awk '/=> \//{print $3}') $on_demand; do \
      real=$(readlink -f "$lib"); \
      pkg=$(dpkg -S "$lib" "$real" "${real#/usr}" 2>/dev/null | head -n1 | cut -d: -f1); \
      if [ -z "$pkg" ]; then echo "no Debian package owns $lib" >&2; exit 1; fi; \
      echo "$pkg" >> /tmp/linked-packages.txt; \
    done \
 && sort -u /tmp/linked-packages.txt \
    | { grep -v -x -e libc6 -e libgcc-s1 -e libstdc++6 || true; } > /runtime-packages.txt \
 && echo "runtime packages:" $(cat /runtime-packages.txt)

# ---- runtime stage -----------------------------------------------------------------------
FROM debian:12-slim
COPY --from=build /runtime-packages.txt /tmp/runtime-packages.txt
RUN apt-get update -qq \
 && xargs -r -a /tmp/runtime-packages.txt apt-get install -y -qq --no-install-recommends \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 65532 faultline \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin faultline
COPY --from=build /src/build/proxy/faultline /usr/local/bin/faultline
# Fails the build if a runtime library is missing.
RUN /usr/local/bin/faultline version

USER 65532:65532
# 15001: proxy listener, 9901: admin API (/healthz, /readyz, /metrics, /v1/*).
EXPOSE 15001 9901
# SIGTERM drains: /readyz turns 503, in-flight requests finish within runtime.drain_timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/faultline"]
CMD ["run", "--config", "/etc/faultline/faultline.toml"]
