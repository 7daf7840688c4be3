"""信访通 Xinfang: petition work — intake, routing, legal deadlines, supervision, analytics."""
