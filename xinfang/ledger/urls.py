from . import views

app_name = "ledger"
urlpatterns = views.patterns("", "matters")
