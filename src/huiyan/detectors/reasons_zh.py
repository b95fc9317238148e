"""Chinese wording of the "not applicable" reasons that detectors state in English.

Detectors return their reason as one English sentence (`not_applicable_reason`); the Chinese
report needs the same reason in Chinese. This catalogue maps each reason pattern to its Chinese
template (numbers and names are carried over from the English match). A reason with no entry
falls back to the English text behind "不适用：", and the registry test flags it.
"""

from __future__ import annotations

import re

_CATALOGUE: list[tuple[str, str]] = [
    # shared / pipeline
    (r"method applies to (?P<x>.+) only", "该方法仅适用于{x}"),
    (r"the file's pixels or frames could not be decoded", "文件的像素或帧无法解码"),
    (r"input could not be decoded: (?P<x>.+)", "输入无法解码：{x}"),
    (r"method failed: (?P<x>.+)", "方法运行失败：{x}"),
    # images: size and content
    (r"image is flat \(constant\).*", "图像为平坦（恒定）图像，无可分析的内容"),
    (r"image too small for patch analysis \((?P<x>.+)\)", "图像过小，无法进行图块分析（{x}）"),
    (r"image smaller than one (?P<t>\d+)-pixel analysis tile \((?P<x>.+)\)", "图像小于一个 {t} 像素的分析块（{x}）"),
    (r"image too small for a block map \((?P<x>.+)\)", "图像过小，无法生成分块图（{x}）"),
    (r"image too small for the watermark \((?P<x>.+)\)", "图像过小，无法承载水印（{x}）"),
    (r"image too small for keypoint matching \((?P<x>.+)\)", "图像过小，无法进行关键点匹配（{x}）"),
    (r"too few keypoints to match \((?P<n>\d+) < (?P<m>\d+)\).*", "关键点过少（{n} < {m}），无法匹配：图像平坦或缺乏纹理"),
    (r"image too small to hold one copy of any known watermark message", "图像过小，容纳不下任何已知水印信息"),
    (r"image too flat .*watermark", "图像（色度平面）过于平坦，无法承载水印"),
    (r"image too small.*", "图像过小，无法分析"),
    (r"no frontal face of at least (?P<x>\d+) px found", "未找到不小于 {x} 像素的正面人脸"),
    (r"faces found but too close to the border.*", "检出人脸但过于靠近图像边缘，无法与周围区域比较"),
    (r"no noise residual to measure: no flat areas, or noise-free frames", "无可测量的噪声残差：没有平坦区域，或画面不含噪声"),
    (r"not a JPEG file, and no earlier JPEG compression visible in the pixels \(confidence (?P<c>[0-9.]+) < (?P<t>[0-9.]+)\)",
     "非 JPEG 文件，像素中也看不出曾经 JPEG 压缩的痕迹（置信度 {c} < {t}）"),
    (r"not a JPEG file.*|not a JPEG \(no quantisation tables\)", "非 JPEG 文件，没有可读取的压缩历史（量化表）"),
    (r"no CFA trace, but the JPEG quality \(~(?P<q>\d+)\) is too low.*",
     "未见 CFA 痕迹，但 JPEG 质量（约 {q}）过低，痕迹本就无法保留"),
    (r"model file (?P<x>\S+) is not installed with the package", "模型文件 {x} 未随软件包安装"),
    (r"onnxruntime is not installed", "未安装 onnxruntime"),
    (r"(?P<x>.+) encoder file is not installed.*|.*encoder .*not installed.*", "图像编码器模型文件未安装"),
    # provenance
    (r"no text, XMP or EXIF metadata in the file.*|no text metadata in the file.*",
     "文件中没有文本、XMP 或 EXIF 元数据（缺少生成器签名不构成证据）"),
    (r"no EXIF or XMP metadata in the file.*", "文件中没有 EXIF 或 XMP 元数据（缺少相机元数据不构成证据）"),
    (r"no C2PA manifest in the file.*", "文件中没有 C2PA 清单（缺少内容凭证不构成证据）"),
    (r"C2PA reading is not supported for (?P<x>\S+)", "C2PA 读取不支持 {x} 格式"),
    (r"the C2PA SDK does not read (?P<x>\S+) files.*", "C2PA SDK 不能读取 {x} 文件"),
    (r"no container or stream metadata.*", "没有容器或流元数据（缺少元数据不构成证据）"),
    (r"no known Stable Diffusion watermark decoded \(best (?P<a>\d+)/(?P<b>\d+) bits.*",
     "未解码出已知 Stable Diffusion 水印（最佳 {a}/{b} 位，属偶然水平）"),
    (r"(?P<x>.+); absence is not evidence of a camera origin", "{x}；缺少该证据不表明为相机原始文件"),
    # video
    (r"clip too short: fewer than (?P<x>\d+) frames", "视频过短：少于 {x} 帧"),
    (r"clip too short: no two consecutive frames", "视频过短：没有相邻的两帧"),
    (r"clip too short \((?P<x>\d+) frames\)", "视频过短（{x} 帧）"),
    (r"clip too short.*", "视频过短"),
    (r"frames too small for a noise residual", "帧尺寸过小，无法计算噪声残差"),
    (r"frames too small for a spectral fingerprint \((?P<x>.+)\)", "帧尺寸过小，无法计算频谱指纹（{x}）"),
    (r"no frame large enough for a spectral fingerprint", "没有足够大的帧用于频谱指纹"),
    (r"frame rate (?P<f>[\d.]+) fps too low to see blinks.*", "帧率 {f} fps 过低，无法观察眨眼（需 10 fps）"),
    (r"frame rate (?P<f>[\d.]+) fps too low to sample a pulse.*", "帧率 {f} fps 过低，无法采样脉搏（约需 8 fps）"),
    (r"frame rate (?P<f>[\d.]+) fps too low to follow frame-to-frame flicker.*",
     "帧率 {f} fps 过低，无法跟踪逐帧闪烁（需 10 fps）"),
    (r"no motion between consecutive frames.*", "相邻帧之间没有运动（静态场景）"),
    (r"too little motion to compare moving and fixed texture", "运动过少，无法比较运动纹理与固定纹理"),
    (r"no textured areas to follow", "没有可跟踪的纹理区域"),
    (r"head pose could not be fitted to the landmarks", "无法根据特征点拟合头部姿态"),
    (r"the face crops carry no measurable detail", "人脸裁剪图中没有可测量的细节"),
    (r"the face or background colour does not vary at all.*", "人脸或背景颜色完全不变（无可测信号）"),
    (r"no usable face track: (?P<x>.+)", "没有可用的人脸轨迹：{x}"),
    (r"no face found by the detector", "检测器未发现人脸"),
    (r"no face detector available.*", "没有可用的人脸检测器"),
    (r"face lost", "人脸跟踪丢失"),
    (r"face found on too few consecutive frames", "检出人脸的连续帧过少"),
    (r"face track disabled", "人脸跟踪已关闭"),
    (r"no face.*", "未检出人脸"),
    (r"face too small.*", "人脸过小"),
    (r"dlib.*not installed.*|face models? .*not installed.*", "人脸模型未安装"),
]
_COMPILED = [(re.compile(p + r"\Z", re.S), t) for p, t in _CATALOGUE]


def reason_zh(reason: str) -> str | None:
    """The Chinese wording of an English not-applicable reason, or None when not catalogued.
    Captured parts that are themselves catalogued reasons are translated too."""
    for pat, tpl in _COMPILED:
        m = pat.match(reason.strip())
        if m:
            parts = {k: (reason_zh(v) or v) if v and re.search("[a-z]{3}", v) else v
                     for k, v in m.groupdict().items()}
            return tpl.format(**parts)
    return None
