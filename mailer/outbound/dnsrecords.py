"""The DNS records a network's domain needs for its mail to be trusted: DKIM key, SPF and DMARC examples."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailer.config import Config

#: SPF mechanisms of the hosted services, by the suffix of the SMTP host the config sends through.
SPF_INCLUDES = (
    ((".office365.com", ".outlook.com"), "include:spf.protection.outlook.com", "Microsoft 365"),
    ((".gmail.com", ".google.com", ".googlemail.com"), "include:_spf.google.com", "Google Workspace"),
)


def _spf(config: Config) -> tuple[str, str]:
    """(the SPF mechanism, a comment on where it comes from)."""
    mail = config.mail
    host = (mail.smtp.host.lower() if mail.transport == "smtp" and mail.smtp else "")
    for suffixes, mechanism, name in SPF_INCLUDES:
        if host.endswith(suffixes):
            return mechanism, f"; mail leaves through {name}"
    if host:
        return f"a:{host}", (f"; assumes {host} itself delivers to the world: if it relays through another "
                             "service, use that service's include: instead")
    return "mx", "; the Maildir transport hands mail to a local MTA: name the hosts that send for this domain"


def _aligned(dkim_domain: str, from_domain: str) -> bool:
    return from_domain == dkim_domain or from_domain.endswith("." + dkim_domain) \
        or dkim_domain.endswith("." + from_domain)


def records(config: Config) -> list[str]:
    """Zone-file lines (with ';' comments) to publish for the network's domain; DKIM only when configured."""
    from mailer.outbound.dkim import DkimSigner, txt_strings

    domain = config.mail.from_address.rpartition("@")[2].lower()
    report_to = config.network.coordinators[0] if config.network.coordinators else config.mail.from_address
    lines: list[str] = [f"; DNS records for {domain} ({config.network.name or config.path.name})", ""]
    dkim = config.mail.dkim
    if dkim is not None:
        signer = DkimSigner(dkim)
        lines += [f"; DKIM: the public half of {dkim.key_file} ({signer.key.key_size} bits)",
                  f"{dkim.record_name}. 3600 IN TXT {txt_strings(signer.txt_record())}", ""]
        if not _aligned(dkim.domain, domain):
            lines += [f"; WARNING: mail.dkim.domain {dkim.domain} is not the From domain {domain} (nor its "
                      "parent): DMARC does not count that signature", ""]
    else:
        lines += ["; DKIM: no [mail.dkim] in the config; the relay signs (publish the key its admin gives you)",
                  ""]
    mechanism, why = _spf(config)
    lines += [f"; SPF: who may send mail from {domain}{why}",
              f'{domain}. 3600 IN TXT "v=spf1 {mechanism} ~all"', "",
              "; DMARC: start with p=none and read the reports; then p=quarantine once every sender passes",
              f'_dmarc.{domain}. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:{report_to}; adkim=r; aspf=r"']
    return lines
