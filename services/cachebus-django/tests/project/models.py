from django.db import models


class Product(models.Model):
    """The demo table, read and written through Django; its saves become intents (CACHEBUS["MODELS"])."""

    category_id = models.BigIntegerField(null=True)
    name = models.TextField()
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        managed = False
        db_table = "products"
