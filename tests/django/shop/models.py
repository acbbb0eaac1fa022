"""The demo schema's tables (compose/demo/schema.sql), unmanaged: the schema file creates them, Django only reads."""
from django.db import models


class Product(models.Model):
    category_id = models.BigIntegerField(null=True)
    name = models.TextField()
    price = models.DecimalField(max_digits=10, decimal_places=2)
    description = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "products"


class Profile(models.Model):
    user_id = models.BigIntegerField(primary_key=True)
    display_name = models.TextField()
    is_active = models.BooleanField(default=True)
    password_hash = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "profiles"


class Order(models.Model):
    user_id = models.BigIntegerField()
    status = models.TextField()
    total = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        managed = False
        db_table = "orders"
