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
    # Both sides of every many-to-many: product.tags.add(tag) and tag.product_set.add(product) change the same rows.
    relations = list(model._meta.many_to_many) + [r.field for r in model._meta.related_objects if r.many_to_many]
    for field in relations:
        through = field.remote_field.through
        m2m_changed.connect(_m2m(model, field, handler), sender=through, weak=False,
                            dispatch_uid=f"cachebus-m2m-{label}-{through._meta.label}")


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


def _m2m(owner, field, handler):
    """
    Fills `owner`'s templates for each of its objects whose relation changed: the instance the manager belongs to
    when it is an `owner`, and the objects of pk_set when they are (the reverse side: tag.product_set.add(p) names
    the products in pk_set). A clear sends no pk_set, so the objects it will detach are read at pre_clear.
    """
    cleared = f"_cachebus_cleared_{field.model._meta.label}_{field.name}"

    def handle(sender, instance, action, reverse, model, pk_set, using, **kwargs):
        others_are_owners = issubclass(model, owner)  # `model` is the class of the objects in pk_set
        if action == "pre_clear" and others_are_owners:
            instance.__dict__[cleared] = _related_pks(field, instance, reverse, using)
        if action not in _M2M_ACTIONS:
            return
        if isinstance(instance, owner):
            handler(instance)
        if others_are_owners:
            pks = instance.__dict__.pop(cleared, set()) if action == "post_clear" else pk_set
            for related in owner._default_manager.using(using).filter(pk__in=pks or ()):
                handler(related)

    return handle


def _related_pks(field, instance, reverse, using):
    """The primary keys on the other side of `field` from `instance`, read from the through table."""
    mine, theirs = (field.m2m_reverse_field_name(), field.m2m_field_name()) if reverse else \
        (field.m2m_field_name(), field.m2m_reverse_field_name())
    through = field.remote_field.through
    return set(through._default_manager.using(using).filter(**{mine: instance.pk}).values_list(theirs, flat=True))
