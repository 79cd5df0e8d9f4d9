from django.urls import path

from api import views

app_name = "api-tokens"
urlpatterns = [
    path("api-tokens/", views.token_list, name="list"),
    path("api-tokens/new/", views.token_create, name="create"),
    path("api-tokens/<uuid:public_id>/revoke/", views.token_revoke, name="revoke"),
]
