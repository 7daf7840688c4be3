from django import forms

from xinfang.petitions.choices import Nature, RequestType

from .models import BaseImportJob

SKIP = ""


class UploadForm(forms.Form):
    file = forms.FileField(label="台账文件（.xlsx、.xls、.et、.ods 或 .csv）")


class MappingForm(forms.Form):
    """Which file column is which column of the kind's template; and how to treat bad rows."""

    mode = forms.ChoiceField(label="有错误行时", choices=BaseImportJob.Mode.choices, widget=forms.RadioSelect)

    def __init__(self, job, columns, *args, **kwargs):
        self.job, self.columns = job, columns
        initial = {c.key: job.mapping.get(c.key, SKIP) for c in columns}
        initial.update(mode=job.mode, **self.initial_options(job))
        super().__init__(*args, initial=initial, **kwargs)
        choices = [(SKIP, "（不导入）")] + [
            (str(i), f"第{i + 1}列「{name or '无列名'}」") for i, name in enumerate(job.header)
        ]
        for c in columns:
            self.fields[c.key] = forms.ChoiceField(
                label=c.label, choices=choices, required=False, help_text=c.hint
            )
            self.fields[c.key].required_column = c.required

    def initial_options(self, job) -> dict:
        return {}

    def option_fields(self):
        """The kind's own choices beside the mode (defaults for empty cells)."""
        return []

    def apply_options(self, job):
        """Put the kind's own choices on the job."""

    def column_fields(self):
        return [self[c.key] for c in self.columns]

    def mapping(self) -> dict[str, int]:
        return {c.key: int(self.cleaned_data[c.key]) for c in self.columns if self.cleaned_data.get(c.key)}


class MatterMappingForm(MappingForm):
    default_nature = forms.ChoiceField(label="未填写事项性质的行按", choices=Nature.choices)
    default_request_type = forms.ChoiceField(label="未填写诉求类型的行按", choices=RequestType.choices)

    def initial_options(self, job):
        return {
            "default_nature": job.default_nature or Nature.APPEAL,
            "default_request_type": job.default_request_type or RequestType.COMPLAINT,
        }

    def option_fields(self):
        return [self["default_nature"], self["default_request_type"]]

    def apply_options(self, job):
        job.default_nature = self.cleaned_data["default_nature"]
        job.default_request_type = self.cleaned_data["default_request_type"]
