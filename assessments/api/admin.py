"""Admin for researcher API tokens: create and revoke them; only researchers can hold one."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from rest_framework.authtoken import admin as authtoken_admin
from rest_framework.authtoken.models import TokenProxy

from ..services.roles import RESEARCHER_GROUP


class ResearcherTokenAdmin(authtoken_admin.TokenAdmin):
    """API tokens; deleting one revokes it at once."""

    autocomplete_fields = ()
    list_filter = ("created",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(
                    Q(is_superuser=True) | Q(groups__name=RESEARCHER_GROUP), is_active=True
                )
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# authtoken registers a plain admin for tokens; replace it with the researcher-only one.
admin.site.unregister(TokenProxy)
admin.site.register(TokenProxy, ResearcherTokenAdmin)
