from django.db import models


class Product(models.Model):
    """The demo table, read and written through Django; its saves become intents (CACHEBUS["MODELS"])."""

    category_id = models.BigIntegerField(null=True)
    name = models.TextField()
    price = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        managed = False
        db_table = "products"


class Tag(models.Model):
    name = models.TextField()

    class Meta:
        managed = False
        db_table = "tags"


class ProductTag(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)

    class Meta:
        managed = False
        db_table = "product_tags"


Product.add_to_class("tags", models.ManyToManyField(Tag, through=ProductTag))
