"""URLs of the notification and SLA pages."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.channel_list, name="channel_list"),
    path("mine/", views.my_notifications, name="mine"),
    path("channels/new/", views.channel_create_view, name="channel_create"),
    path("channels/<int:pk>/", views.channel_edit_view, name="channel_edit"),
    path("channels/<int:pk>/test/", views.channel_test_view, name="channel_test"),
    path(
        "channels/<int:pk>/rotate-secret/",
        views.channel_rotate_secret_view,
        name="channel_rotate_secret",
    ),
    path("channels/<int:pk>/delete/", views.channel_delete_view, name="channel_delete"),
    path("deliveries/", views.delivery_list, name="delivery_list"),
    path("deliveries/<int:pk>/", views.delivery_detail, name="delivery_detail"),
    path("sla/", views.sla_list, name="sla_list"),
    path("sla/<slug:slug>/", views.sla_edit, name="sla_edit"),
]
