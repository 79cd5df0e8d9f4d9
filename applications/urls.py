from django.urls import path

from applications import views

app_name = "applications"
urlpatterns = [
    path("enterprises/<uuid:public_id>/", views.enterprise_detail, name="enterprise-detail"),
    path("applications/<uuid:public_id>/", views.application_detail, name="application-detail"),
]
