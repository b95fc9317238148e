"""Every fixed text of the appraisal report, in Chinese and English, in one place.

`t(key, lang, **fields)` returns the text for `lang` ("zh" or "en") with `str.format` fields
filled. Texts that come from elsewhere (a detector's `summary` and `explanation`, error messages)
are bilingual at their source and are not repeated here.
"""

from __future__ import annotations

LANGS = ("zh", "en")

TEXTS: dict[str, dict[str, str]] = {
    # title page ---------------------------------------------------------------------------
    "title": {"zh": "图像与视频真实性鉴定报告", "en": "Forensic appraisal report: authenticity of images and videos"},
    "subtitle": {
        "zh": "慧眼（Huiyan）离线真实性检验工作站 · 依 GB/T 45430-2025《法庭科学 深度伪造检验》检验步骤编排",
        "en": "Huiyan (慧眼) offline authenticity workstation · arranged in the examination steps of "
        "GB/T 45430-2025 (forensic deepfake examination)",
    },
    "case_number": {"zh": "案件编号", "en": "Case number"},
    "commissioner": {"zh": "委托方", "en": "Commissioning party"},
    "examiners": {"zh": "鉴定人", "en": "Examiners"},
    "received": {"zh": "受理日期", "en": "Date received"},
    "description": {"zh": "检材描述", "en": "Description of the material"},
    "generated_at": {"zh": "报告生成时间", "en": "Report generated"},
    "software": {"zh": "软件", "en": "Software"},
    "case_folder": {"zh": "案件目录", "en": "Case folder"},
    "items_count": {"zh": "检材数量", "en": "Items examined"},
    "not_given": {"zh": "（未提供）", "en": "(not given)"},
    "sha_prefix": {"zh": "SHA-256（前 16 位）", "en": "SHA-256 (first 16)"},
    "opinion_col": {"zh": "鉴定意见", "en": "Opinion"},
    "summary_heading": {"zh": "鉴定意见摘要", "en": "Summary of opinions"},
    "page": {"zh": "第 {page} 页 / 共 {pages} 页", "en": "page {page} of {pages}"},
    # section headings (GB/T 45430-2025 order) ---------------------------------------------
    "sec_preservation": {"zh": "一、检材固定保全", "en": "1 Preservation of the material (检材固定保全)"},
    "sec_extraction": {"zh": "二、样本提取", "en": "2 Sample extraction (样本提取)"},
    "sec_metadata": {"zh": "三、元数据检验", "en": "3 Metadata examination (元数据检验)"},
    "sec_detection": {"zh": "四、特征检测", "en": "4 Feature detection (特征检测)"},
    "sec_analysis": {"zh": "五、特征分析", "en": "5 Feature analysis (特征分析)"},
    "sec_comparison": {"zh": "六、特征比对", "en": "6 Feature comparison (特征比对)"},
    "sec_evaluation": {"zh": "七、特征评估", "en": "7 Feature evaluation (特征评估)"},
    "sec_synthesis": {"zh": "八、综合分析", "en": "8 Combined analysis (综合分析)"},
    "sec_opinion": {"zh": "九、鉴定意见", "en": "9 Opinion (鉴定意见)"},
    "sec_limitations": {"zh": "十、局限性", "en": "10 Limitations (局限性)"},
    "sec_appendix": {"zh": "附录", "en": "Appendix (附录)"},
    # item labels --------------------------------------------------------------------------
    "item_label": {"zh": "检材 {n}：{name}", "en": "Item {n}: {name}"},
    "file_name": {"zh": "文件名", "en": "File name"},
    "source_path": {"zh": "提交路径", "en": "Path as submitted"},
    "size": {"zh": "大小", "en": "Size"},
    "bytes": {"zh": "{n} 字节", "en": "{n} bytes"},
    "intake_time": {"zh": "受理（入库）时间", "en": "Intake time"},
    "stored_copy": {"zh": "只读存证副本", "en": "Read-only stored copy"},
    "media_type": {"zh": "类型", "en": "Media type"},
    "format": {"zh": "格式", "en": "Format"},
    "image": {"zh": "图像", "en": "image"},
    "video": {"zh": "视频", "en": "video"},
    "unknown": {"zh": "未知", "en": "unknown"},
    "item_error": {"zh": "该检材处理出错：{err}", "en": "This item could not be fully processed: {err}"},
    "no_items": {"zh": "未给出任何检材。", "en": "No items were given."},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "none": {"zh": "无", "en": "none"},
    # 1 preservation -----------------------------------------------------------------------
    "preservation_intro": {
        "zh": "每份检材在受理时计算 SHA-256 与 MD5 哈希值，原始字节仅复制一次进入以哈希命名的只读证据库，"
        "此后所有检验均在该只读副本上进行，原件不作任何修改。对检材的每一项操作均追加到哈希链式监管日志"
        "（每条记录包含前一条记录的 SHA-256），任何记录被修改、删除或调换都会在校验时被发现。",
        "en": "Each item was hashed (SHA-256 and MD5) on intake and its original bytes were copied once into a "
        "content-addressed, read-only evidence store; every examination ran on that read-only copy and the "
        "original was never modified. Every action on an item is appended to a hash-chained custody log "
        "(each entry carries the SHA-256 of the previous one), so editing, removing or reordering an entry "
        "is detected on verification.",
    },
    "custody_excerpt": {"zh": "监管日志摘录（与本报告检材相关的最近 {n} 条，共 {total} 条）",
                        "en": "Custody log excerpt (the last {n} entries about these items, of {total} in the log)"},
    "custody_cols": {"zh": "序号|时间（UTC）|操作人|操作|SHA-256（前 16 位）",
                     "en": "Seq.|Time (UTC)|Actor|Action|SHA-256 (first 16)"},
    "custody_note": {
        "zh": "“intake”为受理入库，“analysis”为检验，“report”为写出报告（其 SHA-256 为该报告文件的哈希值）。",
        "en": "'intake' is taking the item into the store, 'analysis' an examination, 'report' a report written "
        "(its SHA-256 is that of the report file).",
    },
    "custody_ok": {
        "zh": "监管日志校验结果：完整。共 {n} 条记录，哈希链连续，证据库中的原件副本与登记的 SHA-256 一致。",
        "en": "Custody log verification: intact. {n} entries, the hash chain is unbroken and every stored "
        "original matches its recorded SHA-256.",
    },
    "custody_broken": {
        "zh": "监管日志校验结果：发现问题（{n} 项），首个问题：{first}",
        "en": "Custody log verification: {n} problem(s) found; the first: {first}",
    },
    "custody_unavailable": {"zh": "未提供案件目录，无法摘录和校验监管日志。",
                            "en": "No case folder: the custody log could not be excerpted or verified."},
    # 2 extraction -------------------------------------------------------------------------
    "extraction_intro": {
        "zh": "样本提取记录从检材中实际解码得到的内容：图像的分辨率与色彩模式，视频的编码、帧率、时长、帧数、"
        "关键帧数与抽样帧，以及检测到的人脸数量。",
        "en": "Sample extraction records what was actually decoded from each item: an image's resolution and "
        "colour mode; a video's codec, frame rate, duration, frame count, key frames and sampled frames; and "
        "the number of faces found.",
    },
    "resolution": {"zh": "分辨率", "en": "Resolution"},
    "mode": {"zh": "色彩模式", "en": "Colour mode"},
    "metadata_warnings": {"zh": "元数据读取问题", "en": "Metadata that could not be read"},
    "decode_warnings": {"zh": "解码问题", "en": "Decoding problems"},
    "codec": {"zh": "编码", "en": "Codec"},
    "container": {"zh": "封装格式", "en": "Container"},
    "fps": {"zh": "帧率", "en": "Frame rate"},
    "duration": {"zh": "时长", "en": "Duration"},
    "frames": {"zh": "帧数（容器声明）", "en": "Frames (declared)"},
    "decoded_frames": {"zh": "实际解码帧数", "en": "Frames decoded"},
    "sampled_windows": {"zh": "抽样窗口数", "en": "Sampled windows"},
    "keyframes": {"zh": "关键帧数", "en": "Key frames"},
    "audio": {"zh": "音轨", "en": "Audio track"},
    "bit_rate": {"zh": "码率", "en": "Bit rate"},
    "faces": {"zh": "检测到的人脸", "en": "Faces found"},
    "not_decoded": {"zh": "检材未能解码，未提取样本。", "en": "The item could not be decoded; no samples were extracted."},
    "fig_image": {"zh": "图 {n}  检材 {item} 图像（缩略显示）", "en": "Figure {n}  Item {item}, the image (scaled for display)"},
    # 3 metadata ---------------------------------------------------------------------------
    "metadata_intro": {
        "zh": "元数据检验读取容器中的拍摄设备信息（EXIF）、生成软件留下的文本块、XMP/IPTC 声明、内容凭证（C2PA）"
        "及 JPEG 量化表等。元数据可被删除或伪造：其存在可作为证据，其缺失本身不构成证据。",
        "en": "The metadata examination reads the camera record (EXIF), text chunks left by generation "
        "software, XMP/IPTC statements, content credentials (C2PA) and JPEG quantisation tables. Metadata "
        "can be removed or forged: its presence can be evidence, its absence is no evidence by itself.",
    },
    "meta_exif": {"zh": "EXIF 拍摄信息", "en": "EXIF camera record"},
    "meta_text": {"zh": "文本块", "en": "Text chunks"},
    "meta_xmp": {"zh": "XMP", "en": "XMP"},
    "meta_icc": {"zh": "ICC 色彩配置", "en": "ICC profile"},
    "meta_gps": {"zh": "GPS", "en": "GPS"},
    "meta_jpeg": {"zh": "JPEG 参数", "en": "JPEG parameters"},
    "meta_container": {"zh": "容器标签", "en": "Container tags"},
    "meta_present": {"zh": "有", "en": "present"},
    "meta_absent": {"zh": "无", "en": "absent"},
    "meta_unreadable": {"zh": "元数据未能读取：{err}", "en": "Metadata could not be read: {err}"},
    "n_tags": {"zh": "（共 {n} 项）", "en": " ({n} tags)"},
    "n_chars": {"zh": "（{n} 字符）", "en": " ({n} chars)"},
    "n_bytes_paren": {"zh": "（{n} 字节）", "en": " ({n} bytes)"},
    "jpeg_params": {"zh": "量化表 {tables} 个；色度抽样 {sub}；渐进式 {prog}",
                    "en": "{tables} quantisation tables; chroma subsampling {sub}; progressive {prog}"},
    "jpeg_luma": {"zh": "；亮度量化表前 8 项 {q}", "en": "; luma table, first 8 entries {q}"},
    "font_note": {"zh": "思源黑体 Noto Sans CJK SC（SIL 开源字体许可），子集嵌入",
                  "en": "Noto Sans CJK SC (SIL Open Font License), subset and embedded"},
    "font_not_embedded": {"zh": "未嵌入（字体子集未能生成，见标题下的提示）",
                          "en": "not embedded (the font subset could not be made; see the notice under the title)"},
    "font_failed": {
        "zh": "注意：报告字体（思源黑体 Noto Sans CJK SC）未能嵌入本页面（{err}）。中文文字将依赖阅读者本机安装的字体，"
        "可能显示为空白方框或乱码；请以 PDF 报告为准，或安装该字体（Python 包 noto-cjk-sans-otc）后重新生成本报告。",
        "en": "Warning: the report font (Noto Sans CJK SC) could not be embedded in this page ({err}). Chinese text "
        "now depends on the fonts installed on the reader's machine and may show as empty boxes; rely on the PDF "
        "report, or regenerate this report after installing the font (Python package noto-cjk-sans-otc).",
    },
    "glyphs_replaced": {
        "zh": "注意：报告字体中没有以下字符的字形，文中以其 Unicode 码位代替（形如 [U+1F600]）：{chars}",
        "en": "Note: the report font has no glyph for the following characters; the text shows their Unicode "
        "code points instead (written like [U+1F600]): {chars}",
    },
    "glyphs_fallback": {
        "zh": "说明：嵌入字体中没有以下字符的字形，这些字符由阅读者本机字体显示（若本机也没有则显示为方框）：{chars}",
        "en": "Note: the embedded font has no glyph for the following characters; they are drawn with the "
        "reader's own fonts (or as boxes if those lack them too): {chars}",
    },
    "meta_findings": {"zh": "来源与元数据方法的结果", "en": "Results of the provenance and metadata methods"},
    "no_provenance": {"zh": "未运行来源与元数据方法。", "en": "No provenance or metadata method was run."},
    # 4 detection --------------------------------------------------------------------------
    "detection_intro": {
        "zh": "特征检测列出对每份检材运行的全部检验方法及其适用性。方法在其前提不满足时（如无人脸、图像被缩放、"
        "无元数据）明确声明“不适用”并说明理由，不参与综合评估。",
        "en": "Feature detection lists every method run on each item and whether it applied. A method whose "
        "preconditions are not met (no face, image resized, no metadata) says so explicitly with its reason "
        "and takes no part in the combined evaluation.",
    },
    "detection_cols": {"zh": "方法|类别|版本|适用|说明", "en": "Method|Family|Version|Applies|Note"},
    "no_methods": {"zh": "没有方法在该检材上运行。", "en": "No method ran on this item."},
    # 5 analysis ---------------------------------------------------------------------------
    "analysis_intro": {
        "zh": "特征分析逐一给出各适用方法的测量对象、结果、图示、版本与参数。分数为方法自身的证据值（越高越倾向"
        "生成或篡改），图中的热力图标示方法响应的位置，仅为辅助说明，不单独构成结论。",
        "en": "Feature analysis gives, for each method that applied, what it measures, its result, its figure, "
        "its version and its parameters. The score is the method's own evidence value (higher means more "
        "evidence of generation or manipulation); heatmaps show where a method responded and are aids to "
        "reading, not conclusions on their own.",
    },
    "measures": {"zh": "测量对象", "en": "What it measures"},
    "result": {"zh": "结果", "en": "Result"},
    "score": {"zh": "证据分数", "en": "Score"},
    "version": {"zh": "版本", "en": "Version"},
    "parameters": {"zh": "参数与数值", "en": "Parameters and values"},
    "llr": {"zh": "对数似然比（LLR）", "en": "Log-likelihood ratio (LLR)"},
    "exhibits": {"zh": "检材图示", "en": "Exhibits of the item"},
    "fig_heatmap": {"zh": "图 {n}  检材 {item}：{method} 的热力图叠加于图像", "en": "Figure {n}  Item {item}: heatmap of {method} overlaid on the image"},
    "fig_grid": {
        "zh": "图 {n}  检材 {item}：各方法的热力图叠加于图像（亮色为方法响应强的位置；标 [map] 的面板为方法保存的独立图，未叠加）。",
        "en": "Figure {n}  Item {item}: each method's heatmap overlaid on the image (bright = where the method "
        "responded strongly; panels marked [map] are maps the method saved on their own, not overlaid).",
    },
    "figure": {"zh": "图示", "en": "Figure"},
    "figure_ref": {"zh": "图 {n}（{panel}）", "en": "Figure {n} ({panel})"},
    "fig_method": {"zh": "图 {n}  检材 {item}：{method} 保存的图", "en": "Figure {n}  Item {item}: figure saved by {method}"},
    "fig_residual": {
        "zh": "图 {n}  检材 {item}：噪声残差（左，图像减去 3×3 中值滤波结果）与残差频谱（右，对数幅度）。取自原始分辨率的中心区域 {w}×{h} 像素。"
        "真实拍摄的残差近似无结构的传感器噪声；生成图像的上采样常在频谱中留下规则的峰点或网格。",
        "en": "Figure {n}  Item {item}: noise residual (left: the image minus its 3×3 median) and residual "
        "spectrum (right: log magnitude), from the central {w}×{h} pixels at the original resolution. A camera's "
        "residual is close to structureless sensor noise; up-sampling in generators often leaves regular peaks "
        "or a grid in the spectrum.",
    },
    "fig_timeline": {
        "zh": "图 {n}  检材 {item}：视频时间线。上：均匀抽取的帧；下：每个视频包的大小，红线为关键帧（I 帧）{seg}。",
        "en": "Figure {n}  Item {item}: video timeline. Top: frames taken uniformly over the clip; bottom: the "
        "size of each video packet, red lines mark key frames (I-frames){seg}.",
    },
    "fig_timeline_seg": {"zh": "；橙色线为时序方法给出的分段分数（0–1，右轴），不低于 0.5 的分段加底色",
                         "en": "; orange lines are the segment scores of the temporal methods (0-1, right axis), "
                         "segments at 0.5 or above are shaded"},
    "fig_segment_frames": {"zh": "图 {n}  检材 {item}：分数最高的视频分段中的帧（标题为起止时间与分段分数）。",
                           "en": "Figure {n}  Item {item}: frames from the highest-scoring video segments (titles: "
                           "start-end time and segment score)."},
    "segments": {"zh": "视频分段", "en": "Video segments"},
    "segment_cols": {"zh": "起（s）|止（s）|分数|最强理由", "en": "Start (s)|End (s)|Score|Strongest reason"},
    "na_methods": {"zh": "不适用的方法", "en": "Methods that did not apply"},
    "na_cols": {"zh": "方法|理由", "en": "Method|Reason"},
    "no_applicable": {"zh": "该检材上没有适用的特征分析方法。", "en": "No feature-analysis method applied to this item."},
    "figure_failed": {"zh": "（图示未能生成：{err}）", "en": "(the figure could not be drawn: {err})"},
    "pixels_failed": {"zh": "（检材图像未能解码用于图示：{err}；相关图示从略，热力图不叠加在图像上显示）",
                      "en": "(the item's image could not be decoded for the figures: {err}; those figures are "
                      "left out and heatmaps are not drawn over the image)"},
    "stored_copy_missing": {"zh": "检材的存储副本不存在", "en": "the stored copy of the item was not found"},
    "frames_missing": {"zh": "（视频分段声明的帧图像文件不存在：{names}）",
                       "en": "(frame images named by the video segments do not exist: {names})"},
    "heatmap_missing": {"zh": "（方法声明的热力图文件不存在：{path}）", "en": "(the heatmap file the method named does not exist: {path})"},
    # 6 comparison -------------------------------------------------------------------------
    "comparison_intro": {
        "zh": "特征比对将各方法的分数与参考数据比较：已在参考数据上校准的方法，其分数经单调校准曲线换算为"
        "对数似然比（LLR，“生成或篡改”相对“原始拍摄”），未校准的方法仅以其自身声明的 LLR（统计量为 0）参与。"
        "LLR 为正支持“生成或篡改”，为负支持“原始拍摄”。",
        "en": "Feature comparison sets each method's score against reference data: for a method calibrated on "
        "the reference data, a monotone calibration curve turns its score into a log-likelihood ratio (LLR, "
        "generated or manipulated versus camera original); an uncalibrated method takes part only with the LLR "
        "it states itself (0 for a bare statistic). A positive LLR supports generation or manipulation, a "
        "negative one supports a camera original.",
    },
    "comparison_cols": {"zh": "方法|分数|LLR|比对依据", "en": "Method|Score|LLR|Basis of comparison"},
    "calibrated": {"zh": "参考数据校准曲线", "en": "calibration curve on reference data"},
    "uncalibrated": {"zh": "未校准（方法自身声明）", "en": "uncalibrated (the method's own statement)"},
    "decisive": {"zh": "经密码学验证的来源证据（决定性）", "en": "cryptographically verified provenance (decisive)"},
    # 7 evaluation -------------------------------------------------------------------------
    "evaluation_intro": {
        "zh": "特征评估给出各方法在参考数据上实测的错误率（依 GB/T 45431-2025 的思路：AUC、等错误率 EER、"
        "1% 误报率下的检出率、在发布阈值处对原始拍摄的误报率）。未在参考数据上测量的方法如实注明。",
        "en": "Feature evaluation gives each method's error rates as measured on the reference data (after "
        "GB/T 45431-2025: AUC, equal error rate, true-positive rate at 1% false-positive rate, false-positive "
        "rate on camera originals at the shipped threshold). Methods not measured on reference data are "
        "marked as such.",
    },
    "evaluation_cols": {"zh": "方法|版本|输入|实测错误率", "en": "Method|Version|Inputs|Measured error rates"},
    "fitted_on": {"zh": "（校准曲线拟合于 {pos} 个生成/篡改样本与 {neg} 个原始拍摄样本；每个文件在各测试协议下各计一次）",
                  "en": " (calibration map fitted on {pos} manipulated and {neg} camera-original examples, each file "
                  "counted once per test protocol)"},
    "fitted_on_kind": {"zh": "（校准曲线拟合于该方法所指情形“{kind}”的 {pos} 个样本与 {neg} 个原始拍摄样本；"
                       "每个文件在各测试协议下各计一次）",
                       "en": " (calibration map fitted on {pos} examples of the kind it points to, {kind}, and {neg} "
                       "camera-original examples, each file counted once per test protocol)"},
    "not_measured": {"zh": "尚未在参考数据上测量", "en": "not yet measured on reference data"},
    # 8 synthesis --------------------------------------------------------------------------
    "synthesis_intro": {
        "zh": "综合分析以对数似然比相加的方式合并各方法的证据：同一类别内的方法彼此相关，先在类别内求和并限制在"
        "±{cap:g} 以内（单一类别至多使几率改变约 {odds:.0f} 倍），再跨类别相加；经密码学验证的来源证据"
        "（如有效的 C2PA 声明、解码成功的水印）单独决定结果；不适用的方法不计入。先验几率取 1:1，"
        "合成 LLR 经逻辑函数换算为“非原始拍摄”的概率。",
        "en": "The combined analysis adds the methods' log-likelihood ratios: methods of one family are "
        "correlated, so they are summed within the family and capped at ±{cap:g} (a single family can move "
        "the odds by about {odds:.0f}x at most), then added across families; cryptographically verified "
        "provenance (a valid C2PA claim, a decoded watermark) decides on its own; methods that did not apply "
        "count for nothing. With prior odds of 1:1, the combined LLR is turned into a probability that the "
        "item is not a camera original.",
    },
    "synthesis_intro_max": {
        "zh": "综合分析以对数似然比（LLR）合并各方法的证据。同一类别内的方法观察相关的证据，彼此不独立，"
        "因此类别内只取支持“生成或篡改”最强的一项与支持“原始拍摄”最强的一项相加，并限制在 ±{cap:g} 以内"
        "（单一类别至多使几率改变约 {odds:.0f} 倍），再跨类别相加。“非原始拍摄”包含几种不同的情形（完全生成、"
        "人脸篡改、局部编辑），各自预期的证据不同：换脸视频由真实拍摄素材制成，没有生成模型指纹并不说明它未被篡改。"
        "因此上述相加对每一种情形分别进行，只用指向该情形的方法与不指向特定情形的方法；再以各情形先验相等的混合"
        "合并（各情形似然比之和除以该媒体类型涵盖的情形数：图像 3 种，视频 2 种；未能检验的情形，例如未检出人脸时的"
        "人脸篡改，其似然比计为 0，即不计入求和但仍计入除数，本意见不涉及该情形）。"
        "在最能解释证据的情形内，若一个类别强烈支持“生成或篡改”而另一类别强烈支持“原始拍摄”，意见为“无法判断”；"
        "经密码学验证的来源证据（如有效的 C2PA 声明、解码成功的水印）单独决定结果；不适用的方法不计入。"
        "先验几率取 1:1，合成 LLR 经逻辑函数换算为“非原始拍摄”的概率。",
        "en": "The combined analysis works on log-likelihood ratios (LLR). Methods of one family look at "
        "related evidence and are not independent, so within a family only the strongest LLR for manipulation "
        "and the strongest against are added, capped at ±{cap:g} (one family moves the odds by about "
        "{odds:.0f}x at most); family LLRs are then added across families. \"Not a camera original\" covers "
        "kinds that predict different evidence (fully generated, face manipulated, locally edited): a face "
        "swap is made from camera footage, so the absence of a generator fingerprint does not clear it. The "
        "sum is therefore formed for each kind separately, from the methods that point to that kind and "
        "those that point to none, and the kinds are combined as a mixture with equal prior weight (the sum "
        "of their likelihood ratios divided by the number of kinds in scope for the media type, 3 for images and "
        "2 for videos; a kind that could not be examined, such as face manipulation when no face was found, "
        "has a likelihood ratio of 0: it is left out of the sum but still counted in the divisor, and this "
        "opinion does not cover it). When, within "
        "the kind that explains the evidence best, one family strongly supports manipulation and another a "
        "camera original, the opinion is inconclusive. Cryptographically verified provenance (a valid C2PA "
        "claim, a decoded watermark) decides on its own; methods that did not apply count for nothing. With "
        "prior odds of 1:1 the combined LLR is turned into a probability that the item is not a camera "
        "original.",
    },
    "kind_cols": {"zh": "情形|该情形的 LLR", "en": "Kind of manipulation|LLR of that kind"},
    "kind_not_examined": {"zh": "{kind}：未能检验（无适用的方法，例如未检出人脸或人脸过小、片段过短），"
                          "本意见不涉及此情形",
                          "en": "{kind}: not examined (no method applied, e.g. no face found, the face too small "
                          "or the clip too short); this opinion does not cover it"},
    "kind_any": {"zh": "没有指向特定情形的方法适用：由不指向特定情形的证据决定（LLR {llr}）",
                 "en": "no method that points to a particular kind applied: the evidence that points to none "
                 "decides (LLR {llr})"},
    "family_weights": {
        "zh": "各类别的 LLR 另乘以在参考数据上样本外拟合的权重（0 至 1）：{weights}。",
        "en": "Each family's LLR is further scaled by a weight in [0, 1] fitted out of sample on the reference "
        "data: {weights}.",
    },
    "method_weights": {
        "zh": "在类别内合并之前，每个方法校准后的 LLR 先乘以在参考数据上样本外联合拟合的方法权重（0 至 1；"
        "接近 0 表示该方法的证据未能在不同来源之间推广，或只是重复了相关方法的证据）：{weights}。",
        "en": "Before the within-family combination, each method's calibrated LLR is scaled by a method weight in "
        "[0, 1] fitted jointly out of sample on the reference data (near 0: its evidence did not generalise "
        "across sources, or only repeated a correlated method): {weights}.",
    },
    "grades_image": {"zh": "图像的判定档位（按图像的相机原始样本选定）", "en": "Grades for images (chosen on camera-original images)"},
    "grades_video": {"zh": "视频的判定档位（按视频的相机原始样本选定）", "en": "Grades for videos (chosen on camera-original videos)"},
    "family_cols": {"zh": "类别（全部证据）|LLR（限幅后）", "en": "Family (all evidence)|LLR (after the cap)"},
    "total_llr": {"zh": "合成 LLR（各情形的混合，见下表；不是上列之和）",
                  "en": "Combined LLR (the mixture over the kinds below, not the sum above)"},
    "posterior": {"zh": "非原始拍摄概率", "en": "Probability not a camera original"},
    "reasons": {"zh": "影响最大的证据", "en": "Strongest evidence"},
    "no_reasons": {"zh": "没有方法给出非零的证据（LLR 全为 0）。", "en": "No method gave non-zero evidence (every LLR is 0)."},
    "fig_llr": {
        "zh": "图 {n}  检材 {item}：对数似然比贡献。左：各方法的 LLR（颜色表示类别）；右：各类别限幅后的 LLR 与合成 LLR，"
        "背景色带为意见等级区间。",
        "en": "Figure {n}  Item {item}: log-likelihood-ratio contributions. Left: each method's LLR (colour = "
        "family); right: each family's capped LLR and the combined LLR over the bands of the opinion grades.",
    },
    # 9 opinion ----------------------------------------------------------------------------
    "opinion_intro": {
        "zh": "鉴定意见按五级表述。各等级对应合成 LLR 的区间；如校准文件给出了各等级在参考数据上的实测错误率，一并列出。",
        "en": "The opinion is given on a five-grade scale. Each grade is a band of the combined LLR; where the "
        "calibration file gives the error rates measured for a grade on reference data, they are listed.",
    },
    "opinion_item": {"zh": "检材 {n}（{name}，SHA-256 {sha}）：{verdict}。", "en": "Item {n} ({name}, SHA-256 {sha}): {verdict}."},
    "opinion_detail": {"zh": "合成 LLR {llr:+.2f}，非原始拍摄概率 {score:.3f}{cat}。",
                       "en": "Combined LLR {llr:+.2f}, probability not a camera original {score:.3f}{cat}."},
    "opinion_category": {"zh": "，证据指向：{cat}", "en": "; the evidence points to: {cat}"},
    "opinion_none": {"zh": "检材 {n}（{name}）：因处理出错，不出具意见。错误：{err}",
                     "en": "Item {n} ({name}): no opinion, because processing failed. Error: {err}"},
    "grade_cols": {"zh": "等级|LLR 区间|含义|实测错误率", "en": "Grade|LLR band|Meaning|Measured error rate"},
    "band_rates_item": {"zh": "该等级在参考数据上的实测情况：{rates}", "en": "Measured for this grade on reference data: {rates}"},
    "band_rates_none": {"zh": "（校准文件未给出该等级的实测错误率）", "en": "(the calibration file gives no measured error rate for this grade)"},
    "v_synthetic": {"zh": "非原始拍摄（生成或篡改）", "en": "not a camera original (generated or manipulated)"},
    "v_likely_synthetic": {"zh": "倾向非原始拍摄", "en": "likely not a camera original"},
    "v_inconclusive": {"zh": "无法判断", "en": "inconclusive"},
    "v_likely_authentic": {"zh": "倾向原始拍摄", "en": "likely a camera original"},
    "v_authentic": {"zh": "原始拍摄（未见生成或篡改痕迹）", "en": "camera original (no trace of generation or manipulation found)"},
    "m_synthetic": {
        "zh": "证据强烈支持检材系生成或篡改形成，而非设备原始拍摄（似然比不低于约 {s}:1）。",
        "en": "The evidence strongly supports that the item was generated or manipulated rather than captured "
        "by a device (likelihood ratio about {s}:1 or more).",
    },
    "m_likely_synthetic": {
        "zh": "证据支持检材系生成或篡改形成，但强度有限（似然比约 {l}:1 至 {s}:1）。",
        "en": "The evidence supports generation or manipulation, with limited strength (likelihood ratio about "
        "{l}:1 to {s}:1).",
    },
    "m_inconclusive": {
        "zh": "证据不足以支持任何一方，或各类证据相互矛盾；不对检材真实性作出判断。",
        "en": "The evidence supports neither proposition sufficiently, or the families disagree; no "
        "statement is made on the item's authenticity.",
    },
    "m_likely_authentic": {
        "zh": "证据支持检材为设备原始拍摄，但强度有限（似然比约 1:{la} 至 1:{a}）。",
        "en": "The evidence supports a device capture, with limited strength (likelihood ratio about 1:{la} to "
        "1:{a}).",
    },
    "m_authentic": {
        "zh": "证据强烈支持检材为设备原始拍摄；表示所用方法未发现生成或篡改痕迹，并不排除方法未覆盖的手段。",
        "en": "The evidence strongly supports a device capture; it means the methods used found no trace of "
        "generation or manipulation, and does not exclude techniques they do not cover.",
    },
    "c_fully_generated": {"zh": "完全由生成模型生成", "en": "fully generated by a model"},
    "c_face_manipulated": {"zh": "人脸被替换或驱动（深度伪造）", "en": "face swapped or reenacted (deepfake)"},
    "c_locally_edited": {"zh": "局部编辑", "en": "locally edited"},
    # 10 limitations -----------------------------------------------------------------------
    "limitations": {
        "zh": "1. 各方法给出的均为统计证据；“原始拍摄”意见表示所用方法未发现生成或篡改痕迹，不等于证明检材真实。\n"
        "2. 元数据可被删除或伪造；元数据的缺失本身不构成证据。\n"
        "3. 像素层面的痕迹在重新压缩、缩放、截屏或翻拍后会减弱，相应方法会声明不适用，但不能保证发现所有此类处理。\n"
        "4. 错误率在项目的参考数据上测得；参考数据未包含的生成模型或处理方式，实际错误率可能不同。\n"
        "5. 未校准的方法仅以其自身声明的 LLR 参与；合成概率以 1:1 的先验几率为条件，案件中的其他信息应由委托方另行考虑。\n"
        "6. 热力图和图示为辅助说明，标示方法响应的位置，不单独证明该位置经过编辑。",
        "en": "1. Every method gives statistical evidence; an opinion of 'camera original' means the methods used "
        "found no trace of generation or manipulation, not that authenticity is proven.\n"
        "2. Metadata can be removed or forged; its absence is no evidence by itself.\n"
        "3. Pixel traces fade after recompression, resizing, screenshots or re-recording; the methods concerned "
        "then say they do not apply, but not every such step is guaranteed to be noticed.\n"
        "4. Error rates were measured on the project's reference data; for generators or processing absent "
        "from it the real error rates may differ.\n"
        "5. Uncalibrated methods take part only with the LLR they state themselves; the combined probability "
        "assumes prior odds of 1:1, and other information in the case is for the commissioning party to weigh.\n"
        "6. Heatmaps and figures are aids to reading: they show where a method responded and do not prove on "
        "their own that the region was edited.",
    },
    "limit_kinds": {
        "zh": "{media}：各类篡改在开发数据上的实测检出情况（样本外；检出指达到“{grade}”或更强的等级）。"
              "检出率低的类型得出“无法判断”时，不能据此认为检材真实。",
        "en": "Detection measured for each kind of manipulation of {media} items on the development data (out of "
              "sample; flagged = graded '{grade}' or stronger). Where a kind is rarely flagged, an "
              "inconclusive grade is no sign that the item is authentic.",
    },
    "limit_item": {"zh": "检材 {n}：{text}", "en": "Item {n}: {text}"},
    "limit_na": {"zh": "{k} 个方法不适用（{methods}）", "en": "{k} method(s) did not apply ({methods})"},
    "limit_uncal": {"zh": "{k} 个适用方法未校准（{methods}）", "en": "{k} applicable method(s) are uncalibrated ({methods})"},
    "limit_no_media": {
        "zh": "结果未记明该检材是图像还是视频，因此不给出按其媒体类型实测的各类篡改检出率与错误率"
              "（文中如给出等级界限与错误率，为图像与视频合并的数值）",
        "en": "the results do not say whether this item is an image or a video, so no detection or error rates "
              "measured for its media type are given for it (grade limits and rates, where shown, are pooled "
              "over images and videos)",
    },
    "limit_err": {"zh": "处理中出现错误：{err}", "en": "errors during processing: {err}"},
    # appendix -----------------------------------------------------------------------------
    "appendix_cols": {"zh": "项目|值", "en": "Item|Value"},
    "app_software": {"zh": "软件版本", "en": "Software version"},
    "app_python": {"zh": "Python", "en": "Python"},
    "app_platform": {"zh": "运行环境", "en": "Platform"},
    "app_libraries": {"zh": "主要依赖库", "en": "Main libraries"},
    "app_reference": {"zh": "参考数据版本", "en": "Reference data version"},
    "app_calibration": {"zh": "校准版本", "en": "Calibration version"},
    "not_installed": {"zh": "未安装", "en": "not installed"},
    "registry_failed": {"zh": "注意：有检验方法模块未能加载（{err}），上表及各方法的说明可能不完整。",
                        "en": "Warning: a method module could not be loaded ({err}); the table above and the "
                        "methods' descriptions may be incomplete."},
    "app_font": {"zh": "报告字体", "en": "Report font"},
    "app_no_calibration": {"zh": "无（未随软件提供校准文件，各方法以自身声明的 LLR 参与）",
                           "en": "none (no calibration file shipped; methods take part with their own stated LLR)"},
    "app_methods": {"zh": "已注册的检验方法", "en": "Registered methods"},
    "app_methods_cols": {"zh": "方法|类别|版本|适用于", "en": "Method|Family|Version|Applies to"},
    "app_report_hash": {
        "zh": "本报告文件的 SHA-256 在写出后追加到案件监管日志（操作“report”），可用 `huiyan custody show` 查看并核对。",
        "en": "The SHA-256 of this report file is appended to the case's custody log after it is written "
        "(action 'report'); `huiyan custody show` lists it for checking.",
    },
    "reproducible": {
        "zh": "同一检材、同一软件版本生成的报告除时间戳外内容一致。",
        "en": "The same items with the same software version give the same report apart from timestamps.",
    },
    # families -----------------------------------------------------------------------------
    "f_provenance": {"zh": "来源与元数据", "en": "provenance"},
    "f_physical": {"zh": "物理成像痕迹", "en": "physical capture traces"},
    "f_fingerprint": {"zh": "生成器指纹", "en": "generator fingerprint"},
    "f_physiological": {"zh": "生理信号", "en": "physiological signals"},
    "f_temporal": {"zh": "时序一致性", "en": "temporal consistency"},
}


def t(key: str, lang: str, **fields) -> str:
    """The text `key` in `lang`, with `fields` filled in."""
    entry = TEXTS[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def verdict_text(verdict: str | None, lang: str) -> str:
    return t(f"v_{verdict}", lang) if verdict and f"v_{verdict}" in TEXTS else t("unknown", lang)


def family_text(family: str, lang: str) -> str:
    return t(f"f_{family}", lang) if f"f_{family}" in TEXTS else family


def media_text(media_type: str, lang: str) -> str:
    """Heading of the grade table of one media type."""
    return t(f"grades_{media_type}", lang) if f"grades_{media_type}" in TEXTS else media_type


def category_text(category: str | None, lang: str) -> str:
    if not category:
        return ""
    return t(f"c_{category}", lang) if f"c_{category}" in TEXTS else category
