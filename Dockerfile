# go4graph: one container next to the school's apps. Stateless; scale out behind any load
# balancer with GO4GRAPH_CACHE_URL pointing every replica at one Redis (deploy/ has a compose
# file and Kubernetes manifests; README "Deployment").
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 go4graph \
 && useradd --system --uid 10001 --gid 10001 --home /nonexistent --shell /usr/sbin/nologin go4graph \
 && mkdir -p /var/log/go4graph /etc/go4graph \
 && chown 10001:10001 /var/log/go4graph \
 && chmod 0750 /var/log/go4graph
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# /var/log/go4graph: the audit log's folder, owned by the gateway's user, so that a named
# volume mounted there (compose) starts with that owner. The root filesystem can be read-only;
# only /tmp must be writable (the metrics folder of several workers).
USER 10001:10001
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# One worker per container: scale with replicas (README "Deployment" says why). SIGTERM drains.
CMD ["go4graph", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "1"]
