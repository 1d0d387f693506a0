# 시드의 CNN을 SVG로 (형식은 출력 파일의 확장자가 정합니다)
archviz render models:CNNModel --input-shape 1,1,64,64 -o cnn.svg

# Wide ResNet50-2의 모듈 보기를 파일 하나짜리 대화형 HTML로
archviz render torchvision.models:wide_resnet50_2 --input-shape 1,3,224,224 \
    --kwargs '{"weights": null}' --view modules -o wrn.html

# 논문과 슬라이드용: 흰 바탕, 글꼴을 넣은 벡터 PDF
archviz render models:CNNModel --input-shape 1,1,64,64 --print -o cnn.pdf
