"""Inspection form definitions (data in `definitions/`, versioned) and the rule that grades them."""

from forms.definitions import FormDefinition, FormItem, FormRegistry, forms
from forms.rules import Evaluation, evaluate

__all__ = ["Evaluation", "FormDefinition", "FormItem", "FormRegistry", "evaluate", "forms"]
