# conf.py
extensions = ["sphinx_archviz"]  # MyST를 쓴다면 "myst_parser"도 추가합니다

archviz_output_format = "svg"  # HTML 출력의 그림 형식: "svg" 또는 "png"
archviz_downloads = ["svg", "png", "dot"]  # 그림 아래 내려받기 링크, []이면 없음
archviz_print_downloads = []  # 인쇄용 내려받기: "pdf", "svg", "png" 가운데
archviz_interactive = True  # 확대·이동·찾기·전체 화면 버튼
archviz_sys_path = ["."]  # 모델 모듈을 찾을 폴더 (conf.py 기준 상대 경로)
archviz_dot = "dot"  # Graphviz dot 프로그램의 이름 또는 경로
archviz_dot_args = []  # dot을 실행할 때마다 덧붙일 인자, 예: ["-Gdpi=96"]
archviz_rankdir = "TB"  # 기본 방향: "TB", "LR", "BT", "RL"
archviz_view = "autograd"  # 기본 그림: "autograd"(시드와 같은 그림) 또는 "modules"(모듈 보기)
archviz_depth = 2  # 모듈 보기에서 그릴 모듈의 단계 수
archviz_device = "meta"  # PyTorch 모델을 만들고 실행할 장치: "meta" 또는 "cpu"
archviz_cache = True  # 입력이 그대로인 그림은 다시 그리지 않음
archviz_timeout = 120  # 다이어그램 하나의 캡처 제한 시간(초)
archviz_layout_timeout = 20  # Graphviz 배치 제한 시간(초), 넘기면 sfdp로 다시 그림
archviz_worker_memory = "50%"  # 작업 프로세스 하나의 메모리 상한: "4G", "50%", None
archviz_fail_on_error = False  # True면 그림 하나라도 실패할 때 빌드를 실패시킴
archviz_expected_failures = []  # 실패해야 하는 그림: "models:Broken" 또는 "troubleshooting.md:42"
archviz_report_page = False  # True면 HTML 사이트에 그림 보고서 페이지(archviz-report.html)를 추가
