"""URLs of flag triage, mounted at /flags/. (The overview dashboard is the site's home.)"""

from django.urls import path

from exposure import views_flags, views_saved

app_name = "exposure"

urlpatterns = [
    path("", views_flags.flag_list_view, name="flag_list"),
    path("mine/", views_flags.my_flags_view, name="my_flags"),
    path("bulk/", views_flags.flag_bulk_view, name="flag_bulk"),
    path("assets/", views_flags.asset_list_view, name="asset_list"),
    path("pick/<str:kind>/", views_flags.filter_pick_view, name="filter_pick"),
    path("views/", views_saved.saved_view_list_view, name="saved_view_list"),
    path("views/new/", views_saved.saved_view_create_view, name="saved_view_create"),
    path("views/<int:pk>/delete/", views_saved.saved_view_delete_view, name="saved_view_delete"),
    path("<int:pk>/", views_flags.flag_detail_view, name="flag_detail"),
    path("<int:pk>/status/", views_flags.flag_status_view, name="flag_status"),
    path("<int:pk>/assign/", views_flags.flag_assign_view, name="flag_assign"),
    path("<int:pk>/comment/", views_flags.flag_comment_view, name="flag_comment"),
]
