"""The page where the screening unit resolves whom a 检举控告 names (see screening.py)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from xinfang.org.access import casework_required
from xinfang.org.models import CASEWORK_ROLES, Unit, User

from . import screening
from .views import get_visible_matter


class ScreeningForm(forms.Form):
    units = forms.ModelMultipleChoiceField(
        queryset=Unit.objects.filter(active=True).order_by("path"),
        label="被反映的单位",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    users = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True, unit__isnull=False, role__in=CASEWORK_ROLES)
        .exclude(full_name="")
        .select_related("unit"),
        label="被反映的工作人员",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, suggestion=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["users"].label_from_instance = lambda u: f"{u.full_name}（{u.unit}）"
        if suggestion is not None and not self.is_bound:
            self.initial["units"] = [u.pk for u, _ in suggestion.units]
            self.initial["users"] = [u.pk for u, _ in suggestion.users]


class HandUpForm(forms.Form):
    reason = forms.CharField(label="移交理由", widget=forms.Textarea(attrs={"rows": 2}))


@casework_required
def screen(request, pk):
    matter = get_visible_matter(request.user, pk)
    try:
        screening.check_screener(request.user, matter)
    except screening.ScreeningError as exc:
        messages.error(request, str(exc))
        return redirect("petitions:detail", pk=pk)
    suggestion = screening.suggestion_for(matter)
    form = ScreeningForm(request.POST or None, suggestion=suggestion)
    hand_up_form = HandUpForm(request.POST if "hand_up" in request.POST else None)
    if request.method == "POST":
        try:
            if "hand_up" in request.POST:
                if hand_up_form.is_valid():
                    screening.hand_up(pk, request.user, reason=hand_up_form.cleaned_data["reason"])
                    messages.success(request, "已移交上一级纪检监察机关核定。")
                    return redirect("petitions:queue")
            elif form.is_valid():
                d = form.cleaned_data
                screening.screen(pk, request.user, units=d["units"], users=d["users"], note=d["note"])
                messages.success(request, "被反映对象已核定；此后该事项对被反映的单位和人员不可见。")
                return redirect("petitions:detail", pk=pk)
        except screening.ScreeningError as exc:
            form.add_error(None, str(exc))
    context = {"matter": matter, "form": form, "hand_up_form": hand_up_form, "suggestion": suggestion}
    return render(request, "petitions/screen.html", context)
