"""What every domain's views do with forms."""

from __future__ import annotations

from learning.core.errors import DomainError


def show_error(form, error: DomainError) -> None:
    """Show a service's refusal on the field it concerns (or at the top of the form)."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
