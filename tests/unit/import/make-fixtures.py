#!/usr/bin/env python3
"""Write the CSV fixtures of tests/unit/check_import.c.

Run from anywhere: python3 tests/unit/import/make-fixtures.py.  The files
are committed; this script says how they were made and remakes them.
Projects, people and numbers are fictional.
"""
import csv
import io
import os

HERE = os.path.dirname(os.path.abspath(__file__))

HEADER = ["项目编码", "项目名称", "项目类别", "所属地区", "项目内容", "形象进度",
          "计划开工", "审批事项", "承办部门", "承办人", "办理模式", "承诺时限",
          "受理时间", "办结时限", "前置事项"]

P1 = ["XM-2026-001", "东城智能制造产业园"]
P1_CONTENT = "厂房改造,新建两条生产线"
GOOD = [
    # lines 2-4: one project, three spellings of one category and date
    P1 + ['工业"四改"类', "东城区", P1_CONTENT, "场地平整", "2026/4/1",
          "立项", "投资项目审批科", "示例人甲", "一般", "5个工作日",
          "2026-03-02 09:00", "", ""],
    P1 + ["工业“四改”类", "东城区", P1_CONTENT, "场地平整", "2026年4月1日",
          "规划许可", "建设工程审批科", "示例人乙", "", "10天", "", "", "立项"],
    P1 + ["工业四改类", "东城区", P1_CONTENT, "场地平整", "2026-04-01",
          "施工许可", "建设工程审批科", "", "容缺受理", "48小时", "", "",
          "规划许可、立项"],
    # lines 5-6: a multi-line content with quotes in it
    ["XM-2026-002", "西城第二实验学校扩建", "社会投资类", "西城区",
     '一期：教学楼\n二期："风雨操场"', "方案设计, 已完成", "2026-05-01",
     "环评", "西城区行政审批局", "示例人丙", "告知承诺", "5wd",
     "2026/3/2 9:30", "", ""],
    # line 7: a project alone; line 8: its item, project columns empty
    ["XM-2026-003", "北山县污水管网改造", "城市建设类", "北山县",
     "新建管网12公里", "", "", "", "", "", "", "", "", "", ""],
    ["XM-2026-003", "", "", "", "", "", "", "选址", "现场勘验科", "", "预审",
     "", "", "2026-03-20", ""],
]

B = ["", "", "", "", "", "", ""]		# empty project columns after the code
BAD_HEADER = HEADER + ["备注"]
BAD = [
    # 2: missing project code
    ["", "无编码项目", "社会投资类", "", "", "", "", "立项", "投资项目审批科", "",
     "", "5wd", "", "", "", "备注不检查"],
    # 3: unknown category
    ["XM-B-001", "", "农业类", "", "", "", "", "立项", "投资项目审批科", "", "",
     "5wd", "", "", "", ""],
    # 4: bad mode
    ["XM-B-001"] + B[1:] + ["选址", "现场勘验科", "", "加急", "5wd", "", "", "",
                            ""],
    # 5: bad limit
    ["XM-B-001"] + B[1:] + ["规划许可", "建设工程审批科", "", "", "五个工作日",
                            "", "", "", ""],
    # 6: impossible acceptance date
    ["XM-B-001"] + B[1:] + ["环评", "西城区行政审批局", "", "", "5wd",
                            "2026-02-30", "", "", ""],
    # 7-8: a good row with a line break in it
    ["XM-B-002", "南河县示范项目", "城市建设类", "南河县", "第一行\n第二行", "",
     "", "立项", "投资项目审批科", "", "", "5wd", "", "", "", ""],
    # 9: unknown prerequisite
    ["XM-B-002"] + B[1:] + ["施工许可", "建设工程审批科", "", "", "5wd", "", "",
                            "消防验收", ""],
    # 10: no department and neither limit nor deadline
    ["XM-B-002"] + B[1:] + ["能评", "", "", "", "", "", "", "", ""],
    # 11: impossible deadline
    ["XM-B-002"] + B[1:] + ["人防报建", "建设工程审批科", "", "", "", "",
                            "2026/13/01", "", ""],
    # 12: item columns without an item kind
    ["XM-B-002"] + B[1:] + ["", "建设工程审批科", "", "", "5wd", "", "", "",
                            ""],
    # 13: the same item as line 7
    ["XM-B-002"] + B[1:] + ["立项", "投资项目审批科", "", "", "3wd", "", "",
                            "", ""],
    # 14: a project name that differs from line 7
    ["XM-B-002", "另一个名称", "", "", "", "", "", "", "", "", "", "", "", "",
     "", ""],
    # 15: impossible planned start (2026 is no leap year)
    ["XM-B-003", "", "", "", "", "", "2026-02-29", "", "", "", "", "", "", "",
     "", ""],
    # 16: its own prerequisite
    ["XM-B-003"] + B[1:] + ["立项", "投资项目审批科", "", "", "5wd", "", "",
                            "立项", ""],
    # 17-18: prerequisites in a circle
    ["XM-B-004"] + B[1:] + ["规划许可", "建设工程审批科", "", "", "5wd", "", "",
                            "选址", ""],
    ["XM-B-004"] + B[1:] + ["选址", "现场勘验科", "", "", "5wd", "", "",
                            "规划许可", ""],
]

ENGLISH = '''Code,Project_Name,CATEGORY,Region,Item,Department,Handler,Mode,Limit,Accepted_At,Deadline,After
EN-001,Riverside logistics park,社会投资类,南河县,立项,投资项目审批科,handler A,normal,5wd,2026-03-02,,
EN-001,,,,规划许可,建设工程审批科,,,10d,,,立项
EN-002,"Old town, phase ""2""",城市建设类,东城区,施工许可,东城区行政审批局,,告知承诺,,,2026-04-30 17:00,
'''


def table(header, rows, lineterminator="\r\n"):
    """The rows as CSV text, quoted the way Excel quotes."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator=lineterminator)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue()


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    good = table(HEADER, GOOD)
    write("utf8.csv", good.encode("utf-8"))
    write("bom.csv", good.encode("utf-8-sig"))
    write("gbk.csv", good.encode("gbk"))
    write("english.csv", ENGLISH.encode("utf-8"))
    write("bad.csv", table(BAD_HEADER, BAD, "\n").encode("utf-8"))


if __name__ == "__main__":
    main()
