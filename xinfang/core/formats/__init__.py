"""The date formats forms read (settings.FORMAT_MODULE_PATH): see zh_Hans/formats.py."""
