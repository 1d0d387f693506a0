# conf.py: 모듈 노드가 클래스의 소스로도 이어지게 합니다. 둘 중 하나면 됩니다.
extensions = ["sphinx_archviz", "sphinx.ext.autodoc", "sphinx.ext.viewcode"]

# 또는 저장소의 코드 보기로:
# extensions = ["sphinx_archviz", "sphinx.ext.autodoc", "sphinx.ext.linkcode"]
#
# def linkcode_resolve(domain, info):
#     path = info["module"].replace(".", "/")
#     return f"https://github.com/me/project/blob/main/{path}.py"
