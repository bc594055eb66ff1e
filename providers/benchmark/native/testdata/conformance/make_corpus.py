#!/usr/bin/env python3
"""Writes corpus.jsonl, the response variants of TestConformanceWithNeMo (conformance_test.go).

usage: python3 make_corpus.py > corpus.jsonl      (standard library only; deterministic)

One JSON object a line: {"task": "mmlu"|"gsm8k", "variant", "response", "target"}; for mmlu
the target is the gold letter, for gsm8k the dataset's full answer text (ending "#### N").
The families are those of shared/nemo-real/make_fixtures.py (30 MMLU x 4 golds, a right and a
wrong choice; 32 GSM8K x 3 targets), plus more MMLU families for NVIDIA's widened extraction.
"""
import json
import sys

FULLWIDTH = {"A": "Ａ", "B": "Ｂ", "C": "Ｃ", "D": "Ｄ"}
CYRILLIC = {"A": "А", "B": "В", "C": "С", "D": "Д"}  # U+0410, U+0412, U+0421, U+0414
GREEK = {"A": "Α", "B": "Β", "C": "Γ", "D": "Δ"}  # U+0391 ..
IDX = "ABCD".index
MMLU_VARIANTS = [
    # make_fixtures.py's 30 families
    ("standard", lambda x, y: f"Let me think step by step.\nThe best option is {x}.\nAnswer: {x}"),
    ("bold", lambda x, y: f"Reasoning...\n**Answer: {x}**"),
    ("newline_after_colon", lambda x, y: f"Reasoning...\nAnswer:\n{x}"),
    ("lowercase", lambda x, y: f"Reasoning...\nanswer: {x.lower()}"),
    ("no_label", lambda x, y: f"The answer is ({x})."),
    ("boxed", lambda x, y: f"Reasoning...\nAnswer: $\\boxed{{{x}}}$"),
    ("nbsp_after_colon", lambda x, y: f"Reasoning...\nAnswer:\u00a0{x}"),
    ("german_label", lambda x, y: f"Begruendung...\nAntwort: {x}"),
    ("chinese_fullwidth_colon", lambda x, y: f"推理...\n答案：{x}"),
    ("russian_label", lambda x, y: f"Рассуждение...\nОтвет: {x}"),
    ("digit", lambda x, y: f"Reasoning...\nAnswer: {IDX(x) + 1}"),
    ("two_answers_first_wins", lambda x, y: f"Answer: {x}\nHmm, on reflection.\nAnswer: {y}"),
    ("fullwidth_letter", lambda x, y: f"Reasoning...\nAnswer: {FULLWIDTH[x]}"),
    ("space_before_colon", lambda x, y: f"Reasoning...\nAnswer : {x}"),
    ("final_answer_header", lambda x, y: f"## Reasoning\n...\n## Final Answer: {x}"),
    ("cyrillic_lookalike_letter", lambda x, y: f"Reasoning...\nAnswer: {CYRILLIC[x]}"),
    ("tab_after_colon", lambda x, y: f"Reasoning...\nAnswer:\t{x}"),
    ("parenthesised", lambda x, y: f"Reasoning...\nAnswer: ({x})"),
    ("crlf_after_colon", lambda x, y: f"Reasoning...\r\nAnswer:\r\n{x}"),
    ("letter_then_text", lambda x, y: f"Reasoning...\nAnswer: {x}) because it fits"),
    ("bold_letter_only", lambda x, y: f"Reasoning...\nAnswer: **{x}**"),
    ("no_space_after_colon", lambda x, y: f"Reasoning...\nAnswer:{x}"),
    ("uppercase_label", lambda x, y: f"Reasoning...\nANSWER: {x}"),
    ("nbsp_before_colon", lambda x, y: f"Reasoning...\nAnswer\u00a0: {x}"),
    ("ideographic_space_after_colon", lambda x, y: f"Reasoning...\nAnswer:\u3000{x}"),
    ("latex_text_letter", lambda x, y: f"Reasoning...\nAnswer: $\\text{{{x}}}$"),
    ("korean_label", lambda x, y: f"추론...\n정답: {x}"),
    ("greek_lookalike_letter", lambda x, y: f"Reasoning...\nAnswer: {GREEK[x]}"),
    ("option_word", lambda x, y: f"Reasoning...\nAnswer: Option {x}"),
    ("answer_then_newline_space", lambda x, y: f"Reasoning...\nAnswer: \n {x}"),
    # more, for NVIDIA's widened pattern
    ("ideographic_space_both_sides", lambda x, y: f"Reasoning...\nAnswer\u3000:\u3000{x}"),
    ("newline_before_colon", lambda x, y: f"Reasoning...\nAnswer\n: {x}"),
    ("newlines_around_colon", lambda x, y: f"Reasoning...\nAnswer\n:\n\n{x}"),
    ("em_space_after_colon", lambda x, y: f"Reasoning...\nAnswer: \u2003{x}"),
    ("zero_width_space_after_colon", lambda x, y: f"Reasoning...\nAnswer:\u200b{x}"),
    ("russian_label_lowercase", lambda x, y: f"Рассуждение...\nответ: {x}"),
    ("russian_label_cyrillic_letter", lambda x, y: f"Рассуждение...\nОтвет: {CYRILLIC[x]}"),
    ("ukrainian_label", lambda x, y: f"Міркування...\nВідповідь: {x}"),
    ("greek_label_greek_letter", lambda x, y: f"Σκέψη...\nΑπάντηση: {GREEK[x]}"),
    ("greek_lowercase_letter", lambda x, y: f"Reasoning...\nAnswer: {GREEK[x].lower()}"),
    ("cyrillic_lowercase_letter", lambda x, y: f"Reasoning...\nAnswer: {CYRILLIC[x].lower()}"),
    ("fullwidth_lowercase_letter", lambda x, y: f"Reasoning...\nAnswer: {chr(ord(FULLWIDTH[x]) + 0x20)}"),
    ("fullwidth_colon_english", lambda x, y: f"Reasoning...\nAnswer：{x}"),
    ("bold_label_only", lambda x, y: f"Reasoning...\n**Answer:** {x}"),
    ("bold_newline", lambda x, y: f"Reasoning...\n**Answer:**\n\n**{x}**"),
    ("lowercase_label_uppercase_letter", lambda x, y: f"Reasoning...\nanswer: {x}"),
    ("circled_number", lambda x, y: f"Reasoning...\nAnswer: {'①②③④'[IDX(x)]}"),
    ("roman_numeral", lambda x, y: f"Reasoning...\nAnswer: {'ⅠⅡⅢⅣ'[IDX(x)]}"),
    ("hebrew_letter", lambda x, y: f"Reasoning...\nAnswer: {'אבגד'[IDX(x)]}"),
    ("hangul_letter", lambda x, y: f"추론...\n정답: {'가나다라'[IDX(x)]}"),
    ("arabic_label_letter", lambda x, y: f"الإجابة: {'أبجد'[IDX(x)]}"),
    ("bengali_label_letter", lambda x, y: f"উত্তর: {'অবডঢ'[IDX(x)]}"),
    ("devanagari_label", lambda x, y: f"उत्तर: {x}"),
    ("arabic_indic_digit", lambda x, y: f"Reasoning...\nAnswer: {'٠١٢٣'[IDX(x)]}"),
    ("later_label_after_no_match", lambda x, y: f"Answer: maybe\nОтвет: {x}"),
    ("english_after_other_label", lambda x, y: f"Antwort: {y}\nAnswer: {x}"),
    ("swedish_label", lambda x, y: f"Resonemang...\nSvar: {x}"),
    ("vietnamese_label", lambda x, y: f"Lý luận...\nCâu trả lời: {x}"),
    ("answer_e_out_of_range", lambda x, y: "Reasoning...\nAnswer: E"),
    ("boxed_text_letter", lambda x, y: f"Reasoning...\nAnswer: \\boxed{{\\text{{{x}}}}}"),
    ("dollar_letter", lambda x, y: f"Reasoning...\nAnswer: ${x}$"),
    ("trailing_period", lambda x, y: f"Reasoning...\nAnswer: {x}."),
    ("mathbf_letter", lambda x, y: f"Reasoning...\nAnswer: $\\mathbf{{{x}}}$"),
    ("empty_response", lambda x, y: ""),
    ("label_at_end", lambda x, y: "Reasoning...\nAnswer:"),
    ("long_s_label", lambda x, y: f"Reasoning...\nAnſwer: {x}"),
    ("vertical_tab_after_colon", lambda x, y: f"Reasoning...\nAnswer:\v{x}"),
    ("nel_after_colon", lambda x, y: f"Reasoning...\nAnswer:\u0085{x}"),
    ("line_separator_after_colon", lambda x, y: f"Reasoning...\nAnswer:\u2028{x}"),
]


def comma(n):
    try:
        return f"{int(n):,}"
    except ValueError:
        return n


FW_DIGITS = str.maketrans("0123456789-", "０１２３４５６７８９－")
AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
GSM_VARIANTS = [
    ("standard", lambda t, w: f"Step by step: we compute the quantities.\nSo the result is {t}.\n#### {t}"),
    ("dollar_sentence", lambda t, w: f"Working it out, the answer is ${t}."),
    ("comma_thousands_dot", lambda t, w: f"Reasoning.\n#### {comma(t)}."),
    ("trailing_year", lambda t, w: f"The answer is {t}. This puzzle was written in 2024."),
    ("hash_no_space", lambda t, w: f"Reasoning.\n####{t}"),
    ("final_answer_is", lambda t, w: f"Reasoning.\nThe final answer is {t}"),
    ("decimal_zero", lambda t, w: f"Reasoning.\n#### {t}.00"),
    ("negative", lambda t, w: f"Reasoning.\n#### -{t}"),
    ("dot_newline", lambda t, w: f"Reasoning.\n#### {t}.\n"),
    ("nbsp_after_hash", lambda t, w: f"Reasoning.\n####\u00a0{t}"),
    ("fullwidth_digits", lambda t, w: f"Reasoning.\n#### {t.translate(FW_DIGITS)}"),
    ("two_hash_lines", lambda t, w: f"#### {w}\nWait, let me redo that.\n#### {t}"),
    ("units_after", lambda t, w: f"Reasoning.\n#### {t} dollars"),
    ("wrong", lambda t, w: f"Reasoning.\n#### {w}"),
    ("stray_single_digit_last", lambda t, w: f"I get {t} in total, counted in 3 steps"),
    ("dollar_cents_after_hash", lambda t, w: f"Reasoning.\n#### ${t}.00"),
    ("comma_after_number", lambda t, w: f"The answer is {t}, final."),
    ("unicode_minus", lambda t, w: f"Reasoning.\n#### \u2212{t}"),
    ("blank_lines", lambda t, w: f"\n\n#### {t}\n\n"),
    ("check_after", lambda t, w: f"#### {t}\nCheck: 2+2=4"),
    ("two_spaces_after_hash", lambda t, w: f"Reasoning.\n####  {t}"),
    ("crlf_end", lambda t, w: f"Reasoning.\r\n#### {t}\r\n"),
    ("arabic_indic_digits", lambda t, w: f"Reasoning.\n#### {t.translate(AR_DIGITS)}"),
    ("dollar_only", lambda t, w: "Reasoning.\n#### $"),
    ("trailing_dots", lambda t, w: f"Reasoning.\n#### {t}..."),
    ("comma_decimal", lambda t, w: f"Reasoning.\n#### {t},00"),
    ("words_after", lambda t, w: f"Reasoning.\n#### {t}\n(that is the total)"),
    ("hash_mid_sentence", lambda t, w: f"So the total #### {t} is the answer"),
    ("plus_sign", lambda t, w: f"Reasoning.\n#### +{t}"),
    ("leading_decimal_point", lambda t, w: f"Reasoning: .5 of it, so #### {t}"),
    ("thin_space_group", lambda t, w: f"Reasoning.\n#### {t[:-3] + chr(0x2009) + t[-3:] if len(t) > 3 else t}"),
    ("tab_after_hash", lambda t, w: f"Reasoning.\n####\t{t}"),
]
# Targets shaped like GSM8K's answer field: worked solution, then "#### N".
GSM_TARGETS = [
    "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72",
    "The total is 1250 + 250 = <<1250+250=1500>>1500.\n#### 1500",
    "She has 20 - 15 = <<20-15=5>>5 left.\n#### 5",
]


def main():
    out = sys.stdout
    for name, fn in MMLU_VARIANTS:
        for gold in "ABCD":
            for correct in (True, False):
                x = gold if correct else "ABCD"[(IDX(gold) + 1) % 4]
                y = "ABCD"[(IDX(x) + 2) % 4]
                rec = {"task": "mmlu", "variant": name, "response": fn(x, y), "target": gold}
                out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    for name, fn in GSM_VARIANTS:
        for target in GSM_TARGETS:
            t = target.split("#### ")[-1].strip()
            w = str(int(t.replace(",", "")) + 1)
            rec = {"task": "gsm8k", "variant": name, "response": fn(t, w), "target": target}
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
