"""Patch routes (changes.views.patches), in the `changes` namespace: a rollout's page and its
forms, and the exposure report."""

from django.urls import path

from changes.views import patches

urlpatterns = [
    path("agent/changes/patches/exposure/", patches.exposure_report, name="patch_exposure"),
    path("agent/changes/<str:number>/rollout/", patches.rollout_page, name="rollout"),
    path(
        "agent/changes/<str:number>/rollout/patches/",
        patches.rollout_patches,
        name="rollout_patches",
    ),
    path(
        "agent/changes/<str:number>/rollout/targets/",
        patches.rollout_targets_add,
        name="rollout_targets",
    ),
    path(
        "agent/changes/<str:number>/rollout/targets/<int:ci_id>/",
        patches.rollout_target_status,
        name="rollout_target_status",
    ),
]
