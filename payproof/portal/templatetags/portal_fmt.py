"""Template filters: money and months in the page's language."""

from django import template
from django.utils.translation import get_language

from payproof.portal import fmt

register = template.Library()


@register.filter
def money(tiyn):
    return fmt.money(tiyn, get_language())


@register.filter
def month(period):
    return fmt.month(period, get_language())


@register.filter
def day(value):
    return fmt.day(value, get_language())


@register.filter
def plain(status):
    from payproof.portal.words import plain as words

    return words(status)


@register.filter
def state(name):
    from payproof.portal.words import STATE_WORDS

    return STATE_WORDS.get(name, name)


@register.filter
def category(name):
    from payproof.portal.forms import CATEGORY_LABELS

    return CATEGORY_LABELS.get(name, name)
