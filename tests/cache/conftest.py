from tests.cache.redis_server import cache_url, own_redis, redis_server

__all__ = ["cache_url", "own_redis", "redis_server"]
