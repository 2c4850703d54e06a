"""Some of the demo city's Q&A in residents' other languages: {Japanese question: translations}.

Written by the civicline project for the demo (issue 21), as a city's staff or translator would
in the console; the rest of the demo Q&A is answered in Japanese, marked as such.
"""

FAQ_TRANSLATIONS: dict[str, dict[str, dict[str, str]]] = {
    "住民票の写しはどこで取得できますか？": {
        "en": {
            "question": "Where can I get a copy of my residence certificate (juminhyo)?",
            "answer": (
                "At the Citizens Division counter on the 1st floor of City Hall, at any "
                "branch office, or, with a My Number Card, at convenience stores across "
                "Japan. The fee is 300 yen per copy (200 yen at a convenience store). Bring "
                "photo ID to the counter."
            ),
        },
        "zh-hans": {
            "question": "在哪里可以领取住民票的副本？",
            "answer": (
                "可在市政府1楼市民课窗口、各支所办理；持有个人编号卡（My Number卡）的人也可以在"
                "全国的便利店领取。手续费每份300日元（便利店200日元）。在窗口办理时请携带身份证"
                "明。"
            ),
        },
        "ko": {
            "question": "주민표 사본은 어디에서 받을 수 있나요?",
            "answer": (
                "시청 1층 시민과 창구, 각 지소에서 받을 수 있으며, 마이넘버카드가 있으면 "
                "전국 편의점에서도 받을 수 있습니다. 수수료는 1통 300엔(편의점 200엔)입니다. "
                "창구에서는 신분증을 지참해 주세요."
            ),
        },
        "vi": {
            "question": "Tôi có thể lấy bản sao phiếu cư trú (juminhyo) ở đâu?",
            "answer": (
                "Tại quầy Phòng Công dân tầng 1 Tòa thị chính, các văn phòng chi nhánh, "
                "hoặc nếu có thẻ My Number thì tại cửa hàng tiện lợi trên toàn quốc. Lệ "
                "phí 300 yên/bản (200 yên tại cửa hàng tiện lợi). Khi đến quầy, vui lòng "
                "mang giấy tờ tùy thân."
            ),
        },
    },
    "市内に引っ越してきたときの転入届の手続きを教えてください": {
        "en": {
            "question": "How do I register my move into the city (moving-in notification)?",
            "answer": (
                "Within 14 days of moving, bring the moving-out certificate from your previous "
                "city and photo ID to the Citizens Division. If you gave notice of moving "
                "out with your My Number Card, bring the card."
            ),
        },
        "vi": {
            "question": "Thủ tục khai báo chuyển đến thành phố như thế nào?",
            "answer": (
                "Trong vòng 14 ngày sau khi chuyển đến, hãy mang giấy chứng nhận chuyển "
                "đi của nơi ở cũ và giấy tờ tùy thân đến Phòng Công dân. Nếu đã khai báo "
                "chuyển đi bằng thẻ My Number, hãy mang theo thẻ."
            ),
        },
    },
    "市役所の窓口は何時まで開いていますか？": {
        "en": {
            "question": "What are City Hall's opening hours?",
            "answer": (
                "Weekdays from 8:45 to 17:15. Some Citizens Division counters stay open "
                "until 19:00 on Thursdays. Closed on weekends, national holidays and over "
                "the New Year."
            ),
        },
        "vi": {
            "question": "Quầy của Tòa thị chính mở cửa đến mấy giờ?",
            "answer": (
                "Các ngày trong tuần từ 8:45 đến 17:15. Thứ Năm, một số quầy của Phòng Công "
                "dân mở đến 19:00. Nghỉ thứ Bảy, Chủ nhật, ngày lễ và dịp năm mới."
            ),
        },
    },
    "ごみの収集日はいつですか？": {
        "en": {
            "question": "When is garbage collected?",
            "answer": (
                "Collection days depend on your district: burnable garbage twice a week, "
                "recyclables once a week. Check your district's days in the garbage calendar."
            ),
        },
    },
    "ごみを出す時間は何時までですか？": {
        "en": {
            "question": "By what time should I put out my garbage?",
            "answer": (
                "By 8:30 a.m. on collection day, at your designated garbage station. Please "
                "do not put it out the night before."
            ),
        },
    },
    "粗大ごみを出したい": {
        "en": {
            "question": "I want to throw away oversized garbage",
            "answer": (
                "Oversized garbage is collected by appointment. Call the Environmental Policy "
                "Division (oversized garbage desk), attach disposal tickets for the fee, "
                "and put it out by 8:00 a.m. on the appointed day."
            ),
        },
    },
    "近くの避難所を知りたい": {
        "en": {
            "question": "Where is the nearest evacuation shelter?",
            "answer": (
                "Use 「施設マップ」 (facility map) in this LINE account's menu to find shelters "
                "near you. Which shelters can be used depends on the disaster (flood, earthquak"
                "e…)."
            ),
        },
        "vi": {
            "question": "Nơi sơ tán gần nhất ở đâu?",
            "answer": (
                "Hãy dùng mục 「施設マップ」 (bản đồ cơ sở) trong menu LINE này để tìm nơi "
                "sơ tán gần bạn. Nơi sơ tán có thể sử dụng khác nhau tùy loại thiên tai "
                "(lũ lụt, động đất…)."
            ),
        },
    },
    "非常用持ち出し袋には何を入れればよいですか？": {
        "en": {
            "question": "What should I put in my emergency bag?",
            "answer": (
                "Drinking water, emergency food, a flashlight, a portable radio, a power "
                "bank, your usual medicines, first-aid supplies, cash and copies of your "
                "ID. Keep it where you can grab it quickly."
            ),
        },
    },
}
