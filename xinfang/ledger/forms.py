from django import forms

from xinfang.petitions.choices import Nature, RequestType

from .columns import COLUMNS
from .models import ImportJob

SKIP = ""


class UploadForm(forms.Form):
    file = forms.FileField(label="台账文件（.xlsx、.xls、.et、.ods 或 .csv）")


class MappingForm(forms.Form):
    """Which file column is which template column; and how to treat bad rows."""

    mode = forms.ChoiceField(label="有错误行时", choices=ImportJob.Mode.choices, widget=forms.RadioSelect)
    default_nature = forms.ChoiceField(label="未填写事项性质的行按", choices=Nature.choices)
    default_request_type = forms.ChoiceField(label="未填写诉求类型的行按", choices=RequestType.choices)

    def __init__(self, job: ImportJob, *args, **kwargs):
        self.job = job
        initial = {c.key: job.mapping.get(c.key, SKIP) for c in COLUMNS}
        initial.update(
            mode=job.mode,
            default_nature=job.default_nature or Nature.APPEAL,
            default_request_type=job.default_request_type or RequestType.COMPLAINT,
        )
        super().__init__(*args, initial=initial, **kwargs)
        choices = [(SKIP, "（不导入）")] + [
            (str(i), f"第{i + 1}列「{name or '无列名'}」") for i, name in enumerate(job.header)
        ]
        for c in COLUMNS:
            self.fields[c.key] = forms.ChoiceField(
                label=c.label, choices=choices, required=False, help_text=c.hint
            )
            self.fields[c.key].required_column = c.required

    def column_fields(self):
        return [self[c.key] for c in COLUMNS]

    def mapping(self) -> dict[str, int]:
        return {c.key: int(self.cleaned_data[c.key]) for c in COLUMNS if self.cleaned_data.get(c.key)}
