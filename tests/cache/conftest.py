"""The Redis fixtures (redis_server, own_redis, cache_url) are registered in tests/conftest.py."""
