//! Email, for invitations, only when SMTP is configured (`SMTP_CONNECTION_URL` and
//! `EMAIL_FROM_ADDRESS`, as Langfuse). Without it the invitation link is shown to the person who
//! invites, which is always the case anyway: email is a convenience, never the only way in.
//!
//! `lettre` speaks SMTP: `smtp://host:25` (plain, or `?tls=required` for STARTTLS),
//! `smtps://user:pass@host:465` (TLS, rustls with the webpki roots).

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};


pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds credentials; show only the sender.
        f.debug_struct("Mailer").field("from", &self.from.to_string()).finish()
    }
}

impl Mailer {
    /// Checks the configuration at start; the error names what is wrong.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("EMAIL_FROM_ADDRESS {from:?} is not an email address: {e}"))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("SMTP_CONNECTION_URL is not usable: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            .build();
        Ok(Mailer { transport, from })
    }

    /// Sends an invitation (its subject and body written by the caller, in the inviter's
    /// language). The message is plain text: nothing in it is rendered as HTML.
    pub async fn send_invitation(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("{to} is not an email address: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}
