from django.urls import path

from loans import views

app_name = "loans"
urlpatterns = [
    path("banks/", views.bank_list, name="bank-list"),
    path("banks/<slug:code>/", views.bank_detail, name="bank-detail"),
]
