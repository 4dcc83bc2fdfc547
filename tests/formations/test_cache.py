from django.core.cache import cache
from django.db import connection


def test_cache_is_the_shared_database_table(db):
    cache.set("essai", {"valeur": 1}, timeout=60)

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM suivi_cache")
        (rows,) = cursor.fetchone()

    assert cache.get("essai") == {"valeur": 1}
    assert rows == 1
