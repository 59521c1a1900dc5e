"""Quoted history is cut whatever language the member's mail client runs in (issue 8 item 7).

Each case is a reply as that client writes it in that UI language: Gmail's or Apple Mail's attribution line
above the quoted invitation, Outlook's header block above the unquoted one, and the phone's signature line.
The member's own words (here in Swedish, Finnish or English) must be all that is left. The texts were
written from the clients' formats, apart from the rules, and not tuned on.
"""

from __future__ import annotations

import pytest
from _mails import INVITATION_SV, headers, quoted

from parsers import parse_reply

WORDS = "Ja, jag kommer gärna!\n\nHälsningar, Anna"
ADDR = "Träffpunkt <natverk@example.org>"

# language: (Gmail/Apple attribution, Outlook header block, phone signature)
CLIENTS: dict[str, tuple[str, str, str]] = {
    "de": (
        f"Am Di., 24. Nov. 2026 um 10:02 Uhr schrieb {ADDR}:",
        f"Von: {ADDR}\nGesendet: Dienstag, 24. November 2026 10:02\nAn: Anna Andersson\nBetreff: Inbjudan",
        "Von meinem iPhone gesendet",
    ),
    "fr": (
        f"Le mar. 24 nov. 2026 à 10:02, {ADDR} a écrit :",
        f"De : {ADDR}\nEnvoyé : mardi 24 novembre 2026 10:02\nÀ : Anna Andersson\nObjet : Inbjudan",
        "Envoyé de mon iPhone",
    ),
    "nl": (
        f"Op di 24 nov. 2026 om 10:02 schreef {ADDR}:",
        f"Van: {ADDR}\nVerzonden: dinsdag 24 november 2026 10:02\nAan: Anna Andersson\nOnderwerp: Inbjudan",
        "Verzonden vanaf mijn iPhone",
    ),
    "it": (
        f"Il giorno mar 24 nov 2026 alle ore 10:02 {ADDR} ha scritto:",
        f"Da: {ADDR}\nInviato: martedì 24 novembre 2026 10:02\nA: Anna Andersson\nOggetto: Inbjudan",
        "Inviato da iPhone",
    ),
    "es": (
        "El mar, 24 nov 2026 a las 10:02, Träffpunkt (<natverk@example.org>) escribió:",
        f"De: {ADDR}\nEnviado: martes, 24 de noviembre de 2026 10:02\nPara: Anna Andersson\nAsunto: Inbjudan",
        "Enviado desde mi iPhone",
    ),
    "pt": (
        f"Em ter., 24 de nov. de 2026 às 10:02, {ADDR} escreveu:",
        f"De: {ADDR}\nEnviado: terça-feira, 24 de novembro de 2026 10:02\nPara: Anna Andersson\nAssunto: Inbjudan",
        "Enviado do meu iPhone",
    ),
    "da": (
        f"tir. 24. nov. 2026 kl. 10.02 skrev {ADDR}:",
        f"Fra: {ADDR}\nSendt: 24. november 2026 10:02\nTil: Anna Andersson\nEmne: Inbjudan",
        "Sendt fra min iPhone",
    ),
    "nb": (
        f"tir. 24. nov. 2026 kl. 10:02 skrev {ADDR}:",
        f"Fra: {ADDR}\nSendt: tirsdag 24. november 2026 10:02\nTil: Anna Andersson\nEmne: Inbjudan",
        "Sendt fra min iPhone",
    ),
    "et": (
        "T, 24. nov 2026 kell 10:02 Träffpunkt (<natverk@example.org>) kirjutas:",
        f"Saatja: {ADDR}\nSaadetud: teisipäev, 24. november 2026 10:02\nAdressaat: Anna Andersson\nTeema: Inbjudan",
        "Saadetud minu iPhone'ist",
    ),
    "pl": (
        f"wt., 24 lis 2026 o 10:02 {ADDR} napisał(a):",
        f"Od: {ADDR}\nWysłano: wtorek, 24 listopada 2026 10:02\nDo: Anna Andersson\nTemat: Inbjudan",
        "Wysłane z iPhone'a",
    ),
    "ru": (
        f"вт, 24 нояб. 2026 г. в 10:02, {ADDR}:",
        f"От: {ADDR}\nОтправлено: 24 ноября 2026 г. 10:02\nКому: Anna Andersson\nТема: Inbjudan",
        "Отправлено с iPhone",
    ),
    "uk": (
        f"вт, 24 лист. 2026 р. о 10:02 {ADDR} пише:",
        f"Від: {ADDR}\nНадіслано: 24 листопада 2026 р. 10:02\nКому: Anna Andersson\nТема: Inbjudan",
        "Надіслано з iPhone",
    ),
    "zh": (
        f"{ADDR} 于2026年11月24日周二 10:02写道：",
        f"发件人: {ADDR}\n发送时间: 2026年11月24日 10:02\n收件人: Anna Andersson\n主题: Inbjudan",
        "发自我的iPhone",
    ),
    "zh-Hant": (
        f"{ADDR} 於 2026年11月24日 週二 上午10:02寫道：",
        f"寄件者: {ADDR}\n寄件日期: 2026年11月24日 上午 10:02\n收件者: Anna Andersson\n主旨: Inbjudan",
        "從我的 iPhone 傳送",
    ),
    "ja": (
        f"2026年11月24日(火) 10:02 {ADDR}:",
        f"差出人: {ADDR}\n送信日時: 2026年11月24日 10:02\n宛先: Anna Andersson\n件名: Inbjudan",
        "iPhoneから送信",
    ),
}
APPLE = {
    "de": f"Am 24.11.2026 um 10:02 schrieb {ADDR}:",
    "fr": f"Le 24 nov. 2026 à 10:02, {ADDR} a écrit :",
    "nl": f"Op 24 nov. 2026, om 10:02 heeft {ADDR} het volgende geschreven:",
    "es": f"El 24 nov 2026, a las 10:02, {ADDR} escribió:",
    "pl": "W dniu 24.11.2026 o 10:02, Träffpunkt pisze:",
    "ru": "24.11.2026 10:02, Träffpunkt пишет:",
    "ja": f"2026/11/24 10:02、{ADDR}のメール:",
}


def _body(text: str) -> str:
    raw = f"{headers()}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{text}\n"
    return parse_reply(raw.encode()).body


@pytest.mark.parametrize("lang", sorted(CLIENTS))
def test_a_gmail_attribution_in_the_client_language_and_the_quote_below_are_cut(lang: str) -> None:
    attribution, _block, _signature = CLIENTS[lang]
    assert _body(f"{WORDS}\n\n{attribution}\n\n{quoted(INVITATION_SV)}") == WORDS


@pytest.mark.parametrize("lang", sorted(APPLE))
def test_an_apple_mail_attribution_in_the_client_language_is_cut(lang: str) -> None:
    assert _body(f"{WORDS}\n\n{APPLE[lang]}\n\n{quoted(INVITATION_SV)}") == WORDS


@pytest.mark.parametrize("lang", sorted(CLIENTS))
def test_an_outlook_header_block_in_the_client_language_and_the_history_are_cut(lang: str) -> None:
    _attribution, block, _signature = CLIENTS[lang]
    assert _body(f"{WORDS}\n\n{block}\n\n{INVITATION_SV}") == WORDS


@pytest.mark.parametrize("lang", sorted(CLIENTS))
def test_a_phone_signature_in_the_client_language_is_dropped(lang: str) -> None:
    attribution, _block, signature = CLIENTS[lang]
    assert _body(f"{WORDS}\n\n{signature}\n\n{attribution}\n\n{quoted(INVITATION_SV)}") == WORDS


def test_text_after_a_phone_signature_that_is_not_one_stays() -> None:
    text = "Ja, jag kommer.\n\nSkickat från min iPhone\n\nPS. Jag tar med en kollega."
    assert _body(text).split() == "Ja, jag kommer.\n\nPS. Jag tar med en kollega.".split()


def test_a_long_sent_from_my_sentence_is_the_members_own_text() -> None:
    text = "Sent from my office in Turku, where we are planning the spring exhibition with two colleagues."
    assert _body(f"Yes!\n\n{text}") == f"Yes!\n\n{text}"


def test_a_verbless_line_ending_in_a_colon_without_quotes_below_stays() -> None:
    text = "Ja! Ring mig på 040 123 4567 eller anna@example.fi kl 10:00:\nJag är på kontoret hela dagen."
    assert _body(text) == text


def test_every_client_language_file_gives_attribution_header_and_signature_markers() -> None:
    from importlib import resources

    from parsers.quotes import _client_quotes

    folder = resources.files("parsers").joinpath("lang", "quotes")
    codes = sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir() if entry.name.endswith(".toml"))
    assert codes == sorted({"da", "de", "es", "et", "fr", "it", "ja", "nb", "nl", "pl", "pt", "ru", "uk", "zh"})
    markers = _client_quotes()
    assert {"schrieb", "a écrit", "写道", "пишет"} <= set(markers["attribution_verbs"])
    assert {"von", "de", "发件人", "差出人"} <= set(markers["header_from"])
