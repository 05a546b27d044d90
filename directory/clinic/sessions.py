"""Signing in and out, and setting a password through a one-time link."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from marshmallow import ValidationError, validate

from directory.clinic.access import bp
from directory.clinic.accounts import login_refusal, remember_browser, reset_allowed, set_password_url
from directory.clinic.mailings import send_reset
from directory.context import store
from registry import accounts


@bp.route("/clinic/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        email = request.form.get("email", "")
        refusal = login_refusal(email.strip().lower())
        if refusal:
            return render_template("clinic/login.html", error=refusal, email=email), 429
        account = accounts.sign_in(store(), email, request.form.get("password", ""))
        if account is not None:
            session.clear()  # a fresh session at login: nothing from before carries over
            login_user(accounts.start_session(store(), account))
            return remember_browser(redirect(url_for("clinic.home")), account.email)
        error = "That email and password do not match an account."
    return render_template(
        "clinic/login.html", error=error, email=request.form.get("email", "")
    ), 401 if error else 200


@bp.post("/clinic/logout")
def logout():
    if current_user.is_authenticated:
        accounts.end_session(store(), current_user.get_id())  # a copy of the cookie stops working too
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("clinic.login"))


@bp.route("/clinic/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link by email. The answer is the same whether or not an account exists, so
    the page cannot be used to find out who has one."""
    email = request.form.get("email", "").strip()
    if request.method == "GET":
        return render_template("clinic/forgot_password.html", email="")
    try:
        validate.Email()(email)
    except ValidationError:
        error = "Enter the email address you sign in with, like name@clinic.com."
        return render_template("clinic/forgot_password.html", email=email, error=error), 400
    if not reset_allowed(email, request.remote_addr or "?"):
        error = "Too many requests for a link. Wait a few minutes, then try again."
        return render_template("clinic/forgot_password.html", email=email, error=error), 429
    try:
        token = accounts.reset_link(store(), email)
    except accounts.AccountError:
        pass  # no such account: say the same as when there is one
    else:
        send_reset(email, set_password_url(token))
    return render_template("clinic/forgot_password.html", email=email, sent=True)


@bp.route("/clinic/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    holder = accounts.link_holder(store(), token)
    if holder is None:
        return render_template("clinic/set_password.html", invalid=True), 410
    error = None
    if request.method == "POST":
        password = request.form.get("password", "")
        error = accounts.password_problem(password, holder.email)
        if not error and password != request.form.get("confirm", ""):
            error = "The two passwords differ."
        if not error:
            account = accounts.use_link(store(), token, password)
            if account is None:  # used or expired meanwhile
                return render_template("clinic/set_password.html", invalid=True), 410
            session.clear()
            login_user(accounts.start_session(store(), account))
            flash("Your password is set.")
            return remember_browser(redirect(url_for("clinic.home")), account.email)
    return render_template(
        "clinic/set_password.html", invalid=False, email=holder.email, purpose=holder.purpose, error=error
    ), 400 if error else 200
