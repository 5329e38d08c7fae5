"""Chinese and English pages: the browser's Accept-Language, the person's setting, mails, the catalogue."""
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.support.login import csrf_from, post_form

# Babel expands the setting "zh_CN" to zh_Hans_CN and looks for the catalogue under that name.
CATALOGUE = Path(__file__).resolve().parent.parent / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


def page(client, path: str, headers: dict) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def set_language(client, locale: str):
    """Save `locale` on the profile page's language form, as a person would."""
    html = client.get("/profile").get_data(as_text=True)
    match = re.search(r'name="language-csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no language form on /profile"
    return client.post("/profile/language",
                       data={"language-locale": locale, "language-csrf_token": match.group(1)})


# The browser's language

def test_login_page_in_chinese(client):
    response = client.get("/login", headers=ZH)
    html = response.get_data(as_text=True)
    assert html_lang(response) == "zh-CN"
    assert "登录 Parley" in html
    assert "用户名或邮箱" in html
    assert "Log in to Parley" not in html


def test_register_page_in_chinese(client):
    response = client.get("/register", headers=ZH)
    html = response.get_data(as_text=True)
    assert html_lang(response) == "zh-CN"
    assert "<h1>注册账号</h1>" in html
    assert "获取验证码" in html
    assert "Create your account" not in html


def test_login_and_register_pages_in_english(client):
    response = client.get("/login", headers=EN)
    assert html_lang(response) == "en"
    assert "Log in to Parley" in response.get_data(as_text=True)
    response = client.get("/register", headers=EN)
    assert html_lang(response) == "en"
    html = response.get_data(as_text=True)
    assert "Create your account" in html and "注册" not in html


@pytest.mark.parametrize("accept", ["zh", "zh-cn", "zh;q=0.9,fr;q=0.8"])
def test_plain_zh_picks_chinese(client, accept):
    response = client.get("/login", headers={"Accept-Language": accept})
    assert html_lang(response) == "zh-CN"
    assert "登录 Parley" in response.get_data(as_text=True)


def test_plain_zh_preferred_over_english_picks_chinese(client):
    response = client.get("/login", headers={"Accept-Language": "zh,en;q=0.9"})
    assert html_lang(response) == "zh-CN"


def test_english_preferred_over_chinese_picks_english(client):
    response = client.get("/login", headers={"Accept-Language": "en-GB,zh-CN;q=0.8"})
    assert html_lang(response) == "en"


def test_traditional_chinese_browser_gets_simplified_chinese_before_english(client):
    response = client.get("/login", headers={"Accept-Language": "zh-TW,en;q=0.5"})
    assert html_lang(response) == "zh-CN"


def test_unknown_language_falls_back_to_english(client):
    response = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert html_lang(response) == "en"


# The person's setting

def test_saved_chinese_beats_an_english_browser_and_empty_follows_it_again(client, auth, user):
    assert auth.login(headers=EN).status_code == 302
    assert set_language(client, "zh_CN").status_code == 302

    profile = client.get("/profile", headers=EN)
    assert html_lang(profile) == "zh-CN"
    assert "<h1>个人资料</h1>" in profile.get_data(as_text=True)
    assert "语言设置已保存。" in profile.get_data(as_text=True)  # the flash, in the new language
    response = client.get("/", headers=EN)
    assert html_lang(response) == "zh-CN"
    assert "你好，Alice" in response.get_data(as_text=True)

    assert set_language(client, "").status_code == 302
    response = client.get("/", headers=EN)
    assert html_lang(response) == "en"
    assert "Hello, Alice" in response.get_data(as_text=True)
    # "Same as my browser" really follows the browser: a Chinese one gets Chinese.
    assert html_lang(client.get("/", headers=ZH)) == "zh-CN"


def test_setting_is_kept_after_logging_out_and_in(client, auth, user):
    auth.login(headers=EN)
    set_language(client, "zh_CN")
    auth.logout()
    assert html_lang(client.get("/login", headers=EN)) == "en"  # logged out: the browser decides
    auth.login(headers=EN)
    assert html_lang(client.get("/", headers=EN)) == "zh-CN"


# Mail

def test_register_code_mail_is_chinese_for_a_chinese_request(client, mailbox):
    html = page(client, "/register", ZH)
    response = client.post("/register", headers=ZH, data={
        "csrf_token": csrf_from(html), "email": "xiaoming@example.com", "send_code": "获取验证码"})
    assert response.status_code == 200
    assert "我们已向 xiaoming@example.com 发送 6 位验证码" in response.get_data(as_text=True)

    mail = mailbox.wait_for("xiaoming@example.com")[-1]
    code = mailbox.code_for("xiaoming@example.com")
    assert mail.subject == f"你的 Parley 验证码：{code}"
    assert "你好：" in mail.body
    assert "你的 Parley 注册验证码是：" in mail.body
    assert "10 分钟内有效" in mail.body
    assert "Hello" not in mail.body


def test_register_code_mail_is_english_for_an_english_request(client, mailbox):
    response = post_form(client, "/register", {"email": "bob@example.com", "send_code": "Send code"},
                         headers=EN)
    assert response.status_code == 200
    mail = mailbox.wait_for("bob@example.com")[-1]
    assert mail.subject.startswith("Your Parley code: ")
    assert "Your code to create a Parley account is:" in mail.body


# The catalogue

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalogue():
    with CATALOGUE.open("rb") as f:
        return read_po(f, locale="zh_CN")


def test_every_message_is_translated_without_fuzzy_entries():
    catalogue = _catalogue()
    messages = [m for m in catalogue if m.id]
    assert len(messages) > 100
    untranslated = [m.id for m in messages
                    if not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    fuzzy = [m.id for m in messages if m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert not catalogue.fuzzy, "the catalogue header is marked fuzzy"


def test_translations_keep_their_placeholders():
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # Chinese has one plural form: it must carry the plural msgid's placeholders.
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == expected, (message.id, string)
            # A stray % (other than %%) would break %-formatting at runtime.
            assert "%" not in PLACEHOLDER.sub("", string).replace("%%", ""), (message.id, string)



def test_translations_add_no_html_special_characters():
    # Jinja's i18n marks translations as safe HTML: a straight quote would end the attribute it
    # is in (placeholder="...", data-confirm-...="..."), and < or & would be read as markup.
    for message in _catalogue():
        if not message.id:
            continue
        ids = " ".join(message.id) if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for string in strings:
            assert '"' not in string, (message.id, string)
            for char in "<>&":
                assert string.count(char) <= ids.count(char), (message.id, string)


@pytest.mark.parametrize("headers", [EN, ZH])
def test_texts_with_quotes_and_angle_brackets_are_escaped(client, auth, user, headers):
    auth.login()
    profile = client.get("/profile", headers=headers).get_data(as_text=True)
    assert "Bearer &lt;token&gt;" in profile
    friends = client.get("/friends", headers=headers).get_data(as_text=True)
    placeholder = re.search(r'<textarea id="add-reason"[^>]*placeholder="([^"]*)">', friends)
    assert placeholder, "the reason box's placeholder is cut short by a quote"
