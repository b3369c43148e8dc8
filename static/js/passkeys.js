// Passkeys (django-otp-webauthn's scripts do the ceremony): after a new passkey is registered,
// reload the two-factor page so it lists it. Sign-in redirects by itself.
document.addEventListener("otp_webauthn.register_complete", function () {
  window.location.reload();
});
