# go4graph: one container next to the school's apps. Stateless; scale out behind any load
# balancer with GO4GRAPH_CACHE_URL pointing every replica at one Redis.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY gateway ./gateway
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home /nonexistent go4graph
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER 10001
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
# Two workers use both cores of a typical small node; set --workers to the cores you give it.
CMD ["go4graph", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
