"""URLs. None carries a family id: a mother's pages show the family of her session."""

from django.urls import include, path
from django.views.i18n import set_language

from payproof.portal.views import grievances, helper, pages, signin, statement

routes = [
    path("", pages.home, name="home"),
    path("style.css", pages.stylesheet, name="css"),
    path("healthz", pages.healthz, name="healthz"),
    path("verify/", pages.verify_page, name="verify"),
    path("ledger.vkey", pages.vkey, name="vkey"),
    path("lang/", set_language, name="set_language"),
    path("signin/", signin.signin, name="signin"),
    path("signin/code/", signin.code, name="code"),
    path("signout/", signin.signout, name="signout"),
    path("statement/", statement.statement, name="statement"),
    path("statement/confirm/", statement.confirm, name="confirm"),
    path("grievances/", grievances.mine, name="grievances"),
    path("grievances/new/", grievances.new, name="grievance_new"),
    path("grievances/<str:tracking>/", grievances.detail, name="grievance"),
    path("grievances/<str:tracking>/receipt.json", grievances.receipt, name="receipt"),
    path("report/", grievances.anonymous, name="anonymous"),
    path("follow/", grievances.follow, name="follow"),
    path("helper/login/", helper.HelperLogin.as_view(), name="helper_login"),
    path("helper/", helper.start, name="helper"),
    path("helper/consent/", helper.consent, name="helper_consent"),
    path("helper/done/", helper.done, name="helper_done"),
]

urlpatterns = [path("", include((routes, "portal")))]

handler500 = "payproof.portal.views.common.handler_error"
