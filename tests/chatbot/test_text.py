"""Japanese normalisation, readings and masking of personal data (CB-5, CB-7)."""

from civicline.chatbot.text import analyse, compact, normalize, reading_of, strip_personal_data


def test_width_kana_and_long_vowels_are_one_form():
    assert compact("ﾍﾟｯﾄﾎﾞﾄﾙ") == compact("ペットボトル") == compact("ぺっとぼとる")
    assert normalize("コンピューター") == normalize("コンピュータ")
    assert normalize("ＡＢＣ１２３") == "abc123"


def test_kanji_names_get_their_hiragana_reading():
    assert reading_of("茶だんす") == "ちゃだんす"
    assert reading_of("乾電池") == "かんでんち"


def test_question_frame_words_are_left_out_of_the_subject():
    assert analyse("電池はどう捨てる？").key == "電池"
    assert analyse("フライパン 捨て方").key == "ふらいぱん"
    assert analyse("ちゃだんすをすてたい").key == "ちゃだんす"


def test_kana_only_text_keeps_what_the_analyser_mistakes_for_particles():
    assert analyse("ぺっとぼとる").key == "ぺっとぼとる"


def test_phone_numbers_emails_and_names_are_masked_CB5():
    masked = strip_personal_data("山田太郎です。電話は090-1234-5678、メールはtaro@example.jp 住民票がほしい")

    assert "山田" not in masked and "090" not in masked and "taro@" not in masked
    assert "住民票がほしい" in masked and "メールは" in masked
