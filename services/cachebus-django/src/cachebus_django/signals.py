"""
post_save, post_delete and m2m_changed on the models named in CACHEBUS["MODELS"] become intents, filled from the
instance: {"shop.Product": {"keys": ["product:{id}"], "tags": ["category:{category_id}"], "namespaces": [...]}}.
With the default transport they are written in the save's transaction; save inside transaction.atomic() so the
row and the intent commit together.
"""
from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from cachebus_django.intents import invalidate
from cachebus_django.settings import cachebus_setting

_M2M_ACTIONS = {"post_add", "post_remove", "post_clear"}


def connect_models():
    for label, rules in cachebus_setting("MODELS").items():
        _connect(label, apps.get_model(label), _handler(rules))


def _connect(label, model, handler):
    # A function of its own per model: receivers defined in the loop above would all close over the loop's last
    # handler, and every model would fill the last model's templates.
    def saved_or_deleted(sender, instance, **kwargs):
        handler(instance)

    post_save.connect(saved_or_deleted, sender=model, weak=False, dispatch_uid=f"cachebus-save-{label}")
    post_delete.connect(saved_or_deleted, sender=model, weak=False, dispatch_uid=f"cachebus-delete-{label}")
    for field in model._meta.many_to_many:
        m2m_changed.connect(_m2m(handler), sender=field.remote_field.through, weak=False,
                            dispatch_uid=f"cachebus-m2m-{label}-{field.name}")


def fields(instance):
    """What a template can name: every concrete field by name and by attname (category and category_id), and pk."""
    values = {"pk": instance.pk}
    for field in instance._meta.concrete_fields:
        values[field.attname] = getattr(instance, field.attname)
        values.setdefault(field.name, values[field.attname])
    return values


def _handler(rules):
    def handle(instance):
        values = fields(instance)
        invalidate(**{kind: [template.format_map(values) for template in rules.get(kind, ())]
                      for kind in ("keys", "tags", "namespaces")})
    return handle


def _m2m(handler):
    def handle(sender, instance, action, **kwargs):
        if action in _M2M_ACTIONS:
            handler(instance)
    return handle
